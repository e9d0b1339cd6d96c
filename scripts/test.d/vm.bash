# shellcheck shell=bash
# Stage "vm" of scripts/test (sourced by it): the molecule scenarios in QEMU
# guests with real kernels, through scripts/test-vm. Part of "all", so CI
# (.ci/run) runs it; about 20 minutes on 2 cores (tests/vm/README.md).

VM_SCENARIOS=(initiator scst_emulated multipath)

stage_vm() {
    TEST_VM_NO_BOOTSTRAP=1 "$ROOT/scripts/test-vm" "${VM_SCENARIOS[@]}" || return 1
    local scenario total details=()
    for scenario in "${VM_SCENARIOS[@]}"; do
        total=$(awk '$1 == "total" { print $2 }' "$ROOT/.cache/vm/timings-$scenario.txt" 2>/dev/null)
        details+=("$scenario ${total:-?}s")
    done
    stage_detail "molecule: ${details[*]}"
}

register_stage vm yes "molecule scenarios in QEMU guests (real kernels): scripts/test-vm"
