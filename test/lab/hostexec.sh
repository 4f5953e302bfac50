#!/bin/sh
# drover lab: enter a lab host's private directories, then run a program.
# Started by the lab as: ip netns exec <netns> /bin/sh hostexec.sh HOSTDIR LOCALDIR PROGRAM [ARG...]
# `ip netns exec` has already given this process a fresh mount namespace (slave of the root one),
# so the bind mounts below are seen only by this process and its children (libvirtd, QEMU, an agent),
# and vanish with them.
set -eu
if [ "$#" -lt 3 ]; then
  echo "usage: hostexec.sh HOSTDIR LOCALDIR PROGRAM [ARG...]" >&2
  exit 2
fi
hostdir=$1
localdir=$2
shift 2
mount --bind "$hostdir/etc" /etc/libvirt
mount --bind "$hostdir/run" /run/libvirt
mount --bind "$hostdir/lib" /var/lib/libvirt
mount --bind "$hostdir/log" /var/log/libvirt
mount --bind "$hostdir/cache" /var/cache/libvirt
mount --bind "$hostdir/local" "$localdir"
if [ -d "$hostdir/pki" ]; then
  mount --bind "$hostdir/pki" /etc/pki
fi
exec "$@"
