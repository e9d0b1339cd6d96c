#!/usr/bin/env bash
# Recipe of the lab's guest image: Debian 12 built from Debian packages only.
#
#   build.sh OUTDIR MIRROR [SECURITY_MIRROR]
#
# Runs as root on a Debian host (debootstrap, chroot, mkfs.ext4 -d, qemu-img).
# Writes into OUTDIR:
#   rootfs.qcow2               ext4 root filesystem (whole disk, no partitions)
#   vmlinuz, initrd.img        booted with qemu -kernel/-initrd
#   ssh_host_ed25519_key.pub   the guests' host key (pinned by the lab driver)
#   manifest.txt               kernel release and every installed package
#
# Everything a test needs is installed here: guests have no network at run time.
# The lab driver (tests/vm/lab.py) calls this when the hash of tests/vm/image/
# changes, so any edit to this directory rebuilds the image.
set -euo pipefail

OUT=${1:?usage: build.sh OUTDIR MIRROR [SECURITY_MIRROR]}
MIRROR=${2:?usage: build.sh OUTDIR MIRROR [SECURITY_MIRROR]}
SECURITY_MIRROR=${3:-}
SUITE=bookworm
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Sparse size of the root filesystem; leaves room for SCST builds in a guest.
DISK_SIZE=${DISK_SIZE:-8G}

# Installed after debootstrap, inside the chroot (debootstrap's --include
# does not resolve virtual packages).
PACKAGES=(
    # boot and base system
    linux-image-amd64 systemd-sysv udev dbus kmod procps iproute2 iputils-ping
    less
    # remote management with Ansible
    openssh-server python3 python3-apt
    # iSCSI initiator and its tools
    open-iscsi lsscsi sg3-utils parted e2fsprogs
    # dm-multipath over iSCSI paths (scenario multipath); multipathd stays off
    # until a role turns it on (DISABLED_UNITS)
    multipath-tools
    # a kernel iSCSI target (LIO) to test initiators against
    targetcli-fb
    # building out-of-tree modules (SCST) against the running kernel
    linux-headers-amd64 build-essential dkms git perl
    # SCST's Makefile makes a module signing key with openssl when the kernel
    # has CONFIG_MODULE_SIG (Debian's has); the scst_build role installs it
    openssl
    # the SCST sysfs emulator over FUSE (scenario scst_emulated): fusepy needs
    # libfuse.so.2; python3-yaml for the scenario's checks
    libfuse2 fuse3 python3-yaml
)
# Shipped by Debian but useless in a throw-away test guest; they also cost
# CPU time under software emulation.
MASKED_UNITS=(
    apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer
    e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer
    getty@tty1.service
)
# Installed but off: only the scenarios that ask for them start them, so the
# other guests boot and run as they did before these packages were added.
DISABLED_UNITS=(multipathd.service multipathd.socket)
# Small initrd: only what mounting /dev/vda needs (initramfs-tools MODULES=list).
INITRD_MODULES=(virtio_pci virtio_blk ext4 crc32c_generic)

step() { printf '[image %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { printf '[image] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "must run as root (debootstrap, chroot)"
[[ -n $OUT && $OUT != / ]] || die "bad OUTDIR"

ROOTFS="$OUT/rootfs"
MOUNTS=()
cleanup() {
    local m
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        m=${MOUNTS[i]}
        if mountpoint -q "$m"; then umount -l "$m" || true; fi
    done
}
trap cleanup EXIT

in_root() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root "$@"; }
bind() {
    mkdir -p "$ROOTFS/$2"
    mount "${@:3}" "$1" "$ROOTFS/$2"
    MOUNTS+=("$ROOTFS/$2")
}

# Never delete through a bind mount left by an earlier, killed build.
remove_rootfs() {
    if awk -v r="$ROOTFS/" 'index($2 "/", r) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
        die "something is still mounted under $ROOTFS; unmount it first"
    fi
    rm -rf --one-file-system "$ROOTFS"
}

mkdir -p "$OUT"
remove_rootfs

step "debootstrap $SUITE (minbase) from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$OUT/debootstrap.log" 2>&1 \
    || { tail -n 30 "$OUT/debootstrap.log" >&2; die "debootstrap failed"; }

{
    echo "deb $MIRROR $SUITE main"
    echo "deb $MIRROR $SUITE-updates main"
    [[ -z $SECURITY_MIRROR ]] || echo "deb $SECURITY_MIRROR $SUITE-security main"
} >"$ROOTFS/etc/apt/sources.list"
cat >"$ROOTFS/etc/apt/apt.conf.d/90lab" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Dpkg::Options { "--force-confold"; };
EOF
# No daemon may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 0755 "$ROOTFS/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"

bind proc proc -t proc
bind sysfs sys -t sysfs
bind /dev dev --bind
bind devpts dev/pts -t devpts

step "apt-get update"
in_root apt-get -q update >"$OUT/apt.log" 2>&1 || { tail -n 30 "$OUT/apt.log" >&2; die "apt-get update failed"; }

# initramfs-tools first, so that the kernel's postinst builds the small initrd.
step "initramfs-tools (MODULES=list: ${INITRD_MODULES[*]})"
in_root apt-get -q -y install initramfs-tools >>"$OUT/apt.log" 2>&1 \
    || { tail -n 30 "$OUT/apt.log" >&2; die "installing initramfs-tools failed"; }
printf 'MODULES=list\n' >"$ROOTFS/etc/initramfs-tools/conf.d/lab.conf"
printf '%s\n' "${INITRD_MODULES[@]}" >>"$ROOTFS/etc/initramfs-tools/modules"

step "apt-get install ${#PACKAGES[@]} packages"
in_root apt-get -q -y install "${PACKAGES[@]}" >>"$OUT/apt.log" 2>&1 \
    || { tail -n 40 "$OUT/apt.log" >&2; die "installing packages failed"; }

# A second kernel for the opt-in scenario molecule/scst, which checks that DKMS
# builds SCST for a kernel installed after it (guests have no network, so the
# packages must be in the image). The image boots the newest kernel (the
# bookworm-security one when a security mirror is given); this is the one of
# the other suite: its image and headers .debs only, not installed, kept in
# /var/cache/lab-kernels/ (apt-get clean below does not touch it). The
# headers depend on linux-kbuild-6.1 (>=), so the installed, newer one fits.
# Missing when the mirror has a single kernel ABI: the scenario then says so.
OTHER_KERNEL_DIR=/var/cache/lab-kernels
running_abi=$(ls "$ROOTFS/lib/modules")
other_abi=$(in_root apt-cache show linux-image-amd64 \
    | sed -n 's/^Depends: linux-image-\([0-9][^ ,]*-amd64\) .*/\1/p' \
    | grep -vx "$running_abi" | sort -V | tail -n 1 || true)
mkdir -p "$ROOTFS$OTHER_KERNEL_DIR"
if [[ -n $other_abi ]]; then
    step "download the second kernel $other_abi into $OTHER_KERNEL_DIR"
    in_root sh -c "cd $OTHER_KERNEL_DIR && apt-get -q download linux-image-$other_abi \
        linux-headers-$other_abi linux-headers-${other_abi%-amd64}-common" \
        >>"$OUT/apt.log" 2>&1 || { tail -n 20 "$OUT/apt.log" >&2; die "downloading kernel $other_abi failed"; }
else
    step "only one kernel ABI ($running_abi) in the mirror: no second kernel in the image"
fi

step "configure"
# Files of the guest (systemd units, network, sshd); owned by root whatever
# the checkout's owner is.
(cd "$HERE/rootfs" && find . -type f -print0) | while IFS= read -r -d '' f; do
    install -D -o root -g root -m 0644 "$HERE/rootfs/$f" "$ROOTFS/$f"
done
chmod 0755 "$ROOTFS/usr/local/sbin/"*

echo lab >"$ROOTFS/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOTFS/etc/hosts"
printf '/dev/vda\t/\text4\tdefaults,errors=remount-ro\t0\t1\n' >"$ROOTFS/etc/fstab"
: >"$ROOTFS/etc/resolv.conf"
# Each guest generates its own initiator name on first start of iscsid.
printf 'GenerateName=yes\n' >"$ROOTFS/etc/iscsi/initiatorname.iscsi"
# Only the ed25519 host key is kept and pinned by the lab driver.
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
in_root ssh-keygen -q -t ed25519 -N '' -C lab-guest -f /etc/ssh/ssh_host_ed25519_key
passwd_lock=$(in_root passwd -l root 2>&1) || die "passwd -l root: $passwd_lock"

in_root systemctl enable systemd-networkd.service lab-setup.service >/dev/null 2>&1
in_root systemctl mask "${MASKED_UNITS[@]}" >/dev/null 2>&1
in_root systemctl disable "${DISABLED_UNITS[@]}" >/dev/null 2>&1

kernels=("$ROOTFS"/lib/modules/*)
((${#kernels[@]} == 1)) || die "expected one kernel in the image, found: ${kernels[*]##*/}"
KVER=${kernels[0]##*/}
[[ -f $ROOTFS/boot/vmlinuz-$KVER && -f $ROOTFS/boot/initrd.img-$KVER ]] \
    || die "no kernel or initrd for $KVER in the image"
[[ -d $ROOTFS/usr/src/linux-headers-$KVER ]] || die "no headers for $KVER in the image"

{
    echo "kernel $KVER"
    echo "suite $SUITE"
    # shellcheck disable=SC2016 # dpkg-query's format, not shell
    in_root dpkg-query -W -f '${Package} ${Version}\n'
    [[ -z $other_abi ]] || echo "other-kernel $other_abi"
} >"$OUT/manifest.txt"

step "clean apt caches"
in_root apt-get -q clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS/usr/sbin/policy-rc.d" "$ROOTFS"/var/log/*.log \
    "$ROOTFS"/var/cache/debconf/*-old
find "$ROOTFS/tmp" -mindepth 1 -delete
cleanup
MOUNTS=()

cp "$ROOTFS/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
cp "$ROOTFS/boot/initrd.img-$KVER" "$OUT/initrd.img"
cp "$ROOTFS/etc/ssh/ssh_host_ed25519_key.pub" "$OUT/ssh_host_ed25519_key.pub"

step "mkfs.ext4 -d ($DISK_SIZE sparse)"
rm -f "$OUT/rootfs.raw"
mkfs.ext4 -q -F -L lab-root -d "$ROOTFS" "$OUT/rootfs.raw" "$DISK_SIZE"
step "convert to qcow2"
qemu-img convert -O qcow2 "$OUT/rootfs.raw" "$OUT/rootfs.qcow2"
rm -f "$OUT/rootfs.raw"
remove_rootfs
step "done: kernel $KVER, initrd $(du -h "$OUT/initrd.img" | cut -f1), disk $(du -h "$OUT/rootfs.qcow2" | cut -f1)"
