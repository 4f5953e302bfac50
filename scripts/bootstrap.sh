#!/usr/bin/env bash
# Prepare this machine for drover's demo and tests. Idempotent: a second run on a ready machine
# only checks (Debian packages present, user present, lockfile hash unchanged) and runs an
# incremental build. Must run as root on a fresh Debian 12 machine (it installs packages).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
state=$root/.drover-state
mkdir -p "$state"
log() { printf 'bootstrap: %s\n' "$*" >&2; }
t0=$(date +%s%N)

# 1. Debian packages (see shared docs lab.md; never libvirt-daemon-system: it replaces init).
#    Shared storage in the lab (issue 16): QEMU's user-space NFS and iSCSI clients (qemu-block-extra:
#    libnfs, libiscsi), libvirt's iscsi-direct pool, and the user-space servers the lab's storage
#    host runs in its own namespace (nfs-ganesha with its VFS backend and rpcbind; tgt).
pkgs=(nats-server libvirt-dev libvirt-daemon libvirt-clients libvirt-daemon-driver-qemu
      qemu-system-x86 qemu-utils binutils libxml2-utils isc-dhcp-server dnsmasq-base ipxe-qemu
      iproute2 procps python3 make g++
      qemu-block-extra libnfs-utils libvirt-daemon-driver-storage-iscsi-direct nfs-ganesha nfs-ganesha-vfs rpcbind tgt)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# The servers' package scripts would start rpcbind, ganesha and tgtd in this machine's own
# namespace; the lab starts them inside its storage namespace instead. A deny-all policy-rc.d
# (invoke-rc.d's hook: exit 101 = "action forbidden") holds while apt runs. An existing policy
# is kept aside and put back; one left behind by an interrupted run is recognised by its marker.
policy=/usr/sbin/policy-rc.d
policy_saved=/usr/sbin/policy-rc.d.drover-saved
policy_marker='# drover bootstrap: deny-all while installing'
restore_policy() {
  if [ -f "$policy" ] && grep -qF "$policy_marker" "$policy"; then
    if [ -f "$policy_saved" ]; then mv -f "$policy_saved" "$policy"; else rm -f "$policy"; fi
  fi
}
deny_services() {
  restore_policy
  [ -e "$policy" ] && cp -p "$policy" "$policy_saved"
  printf '#!/bin/sh\n%s\nexit 101\n' "$policy_marker" >"$policy.tmp"
  chmod 755 "$policy.tmp"
  mv -f "$policy.tmp" "$policy"
}

if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]}; run as root, or: apt-get install ${missing[*]}"; exit 1
  fi
  # One bootstrap at a time installs (the policy file is machine-wide).
  mkdir -p /run/lock
  exec 9>/run/lock/drover-bootstrap-apt.lock
  flock -w 900 9 || { log "another bootstrap held the install lock for 15 minutes"; exit 1; }
  log "installing Debian packages: ${missing[*]}"
  deny_services
  trap restore_policy EXIT
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >"$state/apt.log" 2>&1 \
    || { log "apt-get install failed; see $state/apt.log"; tail -5 "$state/apt.log" >&2; exit 1; }
  restore_policy
  trap - EXIT
  exec 9>&-
fi

# 2. The QEMU driver refuses to start without the libvirt-qemu user, even with user="root".
if [ "$(id -u)" = 0 ]; then
  getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
  getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -M -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
fi

# 3. npm dependencies, skipped when the lockfile and manifests are unchanged since the last install.
hashfiles=(package-lock.json package.json packages/*/package.json test/package.json)
hash=$(cat "${hashfiles[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat "$state/npm.hash" 2>/dev/null)" != "$hash" ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error >"$state/npm.log" 2>&1 \
    || { log "npm ci failed; see $state/npm.log"; tail -20 "$state/npm.log" >&2; exit 1; }
  echo "$hash" >"$state/npm.hash"
fi

# 4. Native binding (rebuilt only when its sources change), then an incremental TypeScript build.
if [ -f packages/libvirt/binding.gyp ]; then
  nhash=$( (cat packages/libvirt/binding.gyp; find packages/libvirt/native -type f -print0 2>/dev/null | sort -z | xargs -0 cat) | sha256sum | cut -d' ' -f1)
  if [ ! -f packages/libvirt/build/Release/drover_libvirt.node ] || [ "$(cat "$state/native.hash" 2>/dev/null)" != "$nhash" ]; then
    log "building the libvirt binding"
    gypargs=(rebuild)
    # Build against the machine's Node headers when they are installed (no download needed).
    [ -f /usr/include/node/node_api.h ] && gypargs+=(--nodedir=/usr)
    (cd packages/libvirt && ../../node_modules/.bin/node-gyp "${gypargs[@]}" >"$state/native.log" 2>&1) \
      || { log "native build failed; see $state/native.log"; tail -20 "$state/native.log" >&2; exit 1; }
    echo "$nhash" >"$state/native.hash"
  fi
fi
npx --no-install tsc -b || { log "TypeScript build failed"; exit 1; }

# 5. xCAT-style verb links (nodeadd, rpower, ...) next to the drover binary, inside the repo.
if [ -f packages/cli/lib/verbs.js ]; then
  node -e 'for (const v of require("./packages/cli/lib/verbs.js").VERB_NAMES) console.log(v)' | while read -r v; do
    ln -sfn drover.js "packages/cli/bin/$v"
  done
fi
log "ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
