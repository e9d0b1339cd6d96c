# Sourced by integration tests: mount the SCST sysfs emulator over FUSE in the
# test's scratch directory and unmount it when the test exits.
# Sets EMU_ROOT (the mount point, pass it as sysfs_root) and EMU_CTL (socket).
EMU_ROOT="$TEST_TMPDIR/scst_tgt"
EMU_CTL="$TEST_TMPDIR/emulator.sock"
mkdir -p "$EMU_ROOT"

emu_ctl() {
    python -m scst_emulator ctl "$EMU_CTL" "$@"
}

emu_stop() {
    python -m scst_emulator umount "$EMU_ROOT" >/dev/null 2>&1 || true
}

if [ ! -e /dev/fuse ]; then
    echo "no /dev/fuse on this machine: the Ansible-level tests need FUSE"
    exit 1
fi
trap emu_stop EXIT
python -m scst_emulator mount "$EMU_ROOT" --control "$EMU_CTL" --log "$TEST_TMPDIR/emulator.log" "$@"
test -d "$EMU_ROOT/handlers" || { echo "emulator did not mount at $EMU_ROOT"; exit 1; }
export EMU_ROOT EMU_CTL
