#!/usr/bin/env bash
# Proves the README's two commands on a truly fresh Debian 12 root: debootstrap a minimal bookworm
# into a scratch folder, and run each command of the README's "Two commands" section with chroot in
# a copy of that root of its own, on a clone of this repository's HEAD.
#
# A green CI on a development machine proves less: packages installed earlier stay there, so a
# package that another one only recommends (oneDNN's OpenCL, say) goes unnoticed.
#
# Usage: tools/fresh_check.sh [--keep] [--mirror URL] [ROOT]
#   ROOT     scratch folder (default: a new folder under /var/tmp); must be empty or absent
#   --keep   keep ROOT after a pass (it is always kept after a failure, for inspection)
#   --mirror Debian mirror for debootstrap and apt (default http://deb.debian.org/debian)
# Needs root (debootstrap, mount, chroot) and the debootstrap package. Only committed work is
# checked: each root gets a clone of HEAD, not the work tree. Log: ROOT.log.
set -euo pipefail

keep=0
mirror=http://deb.debian.org/debian
root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --mirror) mirror="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "fresh_check: unknown option $1" >&2; exit 2 ;;
    *) root="$1" ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || { echo "fresh_check: needs root (debootstrap, mount, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh_check: install debootstrap (apt-get install debootstrap)" >&2; exit 2; }
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
head=$(git -C "$repo" rev-parse --short HEAD)
[ -n "$root" ] || root=$(mktemp -d /var/tmp/dlvp-fresh.XXXXXX)
mkdir -p "$root"
[ -z "$(ls -A "$root")" ] || { echo "fresh_check: $root is not empty" >&2; exit 2; }
root=$(cd "$root" && pwd)
log="$root.log"
: > "$log"

# The README's commands: the ```sh blocks of its "Two commands" section, one command per block.
mapfile -t commands < <(awk '
  /^## /                   { in_section = ($0 ~ /^## Two commands/) }
  in_section && /^ *```sh/ { in_block = 1; next }
  in_block && /^ *```/     { in_block = 0; next }
  in_section && in_block   { sub(/^ +/, ""); if (length($0)) print }
' "$repo/README.md")
[ ${#commands[@]} -eq 2 ] || { echo "fresh_check: expected 2 commands in README.md's 'Two commands', found ${#commands[@]}" >&2; exit 2; }

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[$i]}" 2>/dev/null || umount -lR "${mounted[$i]}" 2>/dev/null || true
  done
  mounted=()
}
trap unmount_all EXIT

# Mounts what a booted machine has.
mount_system() {
  mount -t proc proc "$1/proc"; mounted+=("$1/proc")
  mount --rbind /sys "$1/sys"; mount --make-rslave "$1/sys"; mounted+=("$1/sys")
  mount --rbind /dev "$1/dev"; mount --make-rslave "$1/dev"; mounted+=("$1/dev")
}

now() { date +%s; }
since() { local s=$(( $(now) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
start_all=$(now)

base="$root/base"
echo "fresh_check: debootstrap bookworm (minbase) into $base (log: $log)"
t0=$(now)
debootstrap --variant=minbase bookworm "$base" "$mirror" >>"$log" 2>&1 \
  || { echo "fresh_check: debootstrap failed, see $log" >&2; exit 1; }
# A fresh machine has the updates and security suites too.
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
  "$mirror" "$mirror" "${mirror%/debian}/debian-security" > "$base/etc/apt/sources.list"
cp /etc/resolv.conf "$base/etc/resolv.conf"
# The network a machine of this workplace has: its TLS egress proxy's CA, which the host trusts
# (/usr/local/share/ca-certificates; the ca-certificates package folds them into the bundle when
# setup.sh installs it) and names to Node.js (NODE_EXTRA_CA_CERTS, passed on below). Nothing of
# the project's.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$base/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$base/usr/local/share/ca-certificates/"
fi
# What the installer writes and minbase leaves out.
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$base/etc/hosts"
# Packages start no services, as on the CI machines: munge's would otherwise start munged inside
# the chroot at install and keep its mounts busy (the Slurm test starts its own daemons).
printf '#!/bin/sh\nexit 101\n' > "$base/usr/sbin/policy-rc.d"
chmod 755 "$base/usr/sbin/policy-rc.d"
echo "fresh_check: base root ready in $(since "$t0")"

status=0
for i in "${!commands[@]}"; do
  n=$((i + 1))
  cmd=${commands[$i]}
  # Each command gets a root of its own: command 2 must not lean on what command 1 installed.
  machine="$root/machine$n"
  cp -a "$base" "$machine"
  mount_system "$machine"
  git clone -q --no-local "$repo" "$machine/root/dlvp"
  echo "fresh_check: command $n on $head in $machine: $cmd"
  echo "===== command $n: $cmd" >>"$log"
  t0=$(now)
  if chroot "$machine" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
       PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
       ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS} \
       /bin/bash -c "cd /root/dlvp && $cmd" >>"$log" 2>&1; then
    echo "fresh_check: command $n passed in $(since "$t0")"
  else
    echo "fresh_check: command $n FAILED after $(since "$t0"); last lines of $log:" >&2
    tail -n 30 "$log" >&2
    status=1
  fi
  unmount_all
  [ $status -eq 0 ] || break
done

if [ $status -eq 0 ]; then
  echo "fresh_check: both README commands passed on fresh Debian 12 roots ($head, $(since "$start_all") in all)"
  [ $keep -eq 1 ] || rm -rf --one-file-system "$root"
else
  echo "fresh_check: FAILED ($head, $(since "$start_all")); roots kept in $root" >&2
fi
exit $status
