#!/usr/bin/env bash
# The built collection: installs, its modules resolve by FQCN outside this
# checkout, and the test-only emulator is not shipped.
set -euo pipefail
out="$TEST_TMPDIR"
ansible-galaxy collection build --force --output-path "$out" . >"$out/build.log"
tarball=$(ls "$out"/scst-iscsi-*.tar.gz)
if tar -tzf "$tarball" | grep -E '(^|/)tests/emulator/|(^|/)\.collections/|(^|/)\.venv/'; then
    echo "test tooling or local environment shipped in $tarball"; exit 1
fi
ansible-galaxy collection install --force -p "$out/colls" "$tarball" >"$out/install.log"
cd "$out"
printf "[defaults]\n" >"$out/none.cfg"
for m in scst_device scst_target scst_lun scst_group scst_chap scst_driver scst_info; do
    ANSIBLE_CONFIG="$out/none.cfg" ANSIBLE_COLLECTIONS_PATH="$out/colls" ansible-doc -t module "scst.iscsi.$m" >"$out/$m.doc"
    grep -q "EXAMPLES" "$out/$m.doc"
done
# an installed collection runs ad hoc by its full name (here it fails cleanly: no SCST)
set +e
ANSIBLE_CONFIG="$out/none.cfg" ANSIBLE_COLLECTIONS_PATH="$out/colls" ansible localhost -c local \
    -m scst.iscsi.scst_lun -a "target=iqn.2026-11.com.example:t lun=0 device=d sysfs_root=$out/nothing" >"$out/adhoc.out" 2>&1
set -e
grep -q "SCST is not loaded" "$out/adhoc.out"
echo "built $(basename "$tarball"), installed, 7 modules documented, FQCN ad-hoc ok"
