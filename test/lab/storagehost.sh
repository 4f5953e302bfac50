#!/bin/sh
# drover lab: the storage host's anchor process. Started as:
#   ip netns exec <netns> /bin/sh storagehost.sh STORAGEDIR
# `ip netns exec` gives this process a mount namespace of its own; a tmpfs over /run keeps the
# sockets and PID files of rpcbind, ganesha and tgtd (/run/rpcbind.sock, /run/ganesha,
# /run/tgtd) apart from the machine's and from other labs'. The NFS and iSCSI servers are started
# later inside this same namespace (nsenter -t <this pid> -m -n), and rpcbind stays in the
# foreground as the namespace's anchor.
set -eu
if [ "$#" -ne 1 ]; then
  echo "usage: storagehost.sh STORAGEDIR" >&2
  exit 2
fi
mount -t tmpfs -o mode=0755,size=16m drover-lab-run /run
mkdir -p /run/rpcbind /run/ganesha /run/tgtd /run/lock
exec rpcbind -f -w
