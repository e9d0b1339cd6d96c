#!/usr/bin/env bash
# Execution environments: the built collection ships its dependencies as
# ansible-builder reads them (meta/execution-environment.yml, requirements.txt
# without any pin of ansible-core, bindep.txt), introspection finds them, and
# `ansible-builder create` makes a build context from tests/ee.
set -euo pipefail
out="$TEST_TMPDIR"
ansible-galaxy collection build --force --output-path "$out" . >"$out/build.log"
tarball=$(ls "$out"/scst-iscsi-*.tar.gz)
tar -tzf "$tarball" | sort >"$out/files"
for file in meta/execution-environment.yml requirements.txt bindep.txt; do
    grep -qx "$file" "$out/files" || { echo "$file is not in $(basename "$tarball")"; exit 1; }
done
if grep -E '^requirements-(dev|lab)\.txt$' "$out/files"; then
    echo "development requirements shipped in $(basename "$tarball")"; exit 1
fi
tar -xzf "$tarball" -C "$out" requirements.txt
if grep -iE '^[[:space:]]*ansible(-core|-base)?([^a-z0-9_.-]|$)' "$out/requirements.txt"; then
    echo "the built collection's requirements.txt names ansible-core: installers would change the user's ansible-core"
    exit 1
fi

ansible-galaxy collection install --force -p "$out/colls" "$tarball" >"$out/install.log"
ansible-builder introspect --write-bindep "$out/bindep.out" "$out/colls" >"$out/introspect.log"
for package in bash tar gzip git 'open-iscsi \[platform:dpkg managed\]'; do
    grep -qE "^$package( |$)" "$out/bindep.out" || {
        echo "introspection did not find '$package':"; cat "$out/bindep.out"; exit 1
    }
done
grep -qx 'python: \[\]' "$out/introspect.log" || {
    echo "introspection found Python requirements the collection does not have:"; cat "$out/introspect.log"; exit 1
}

ansible-builder create -f tests/ee/execution-environment.yml --context "$out/context" \
    --output-filename Containerfile >"$out/create.log"
for file in Containerfile _build/requirements.yml _build/scripts/assemble _build/scripts/install-from-bindep; do
    [[ -f "$out/context/$file" ]] || { echo "ansible-builder create made no $file:"; find "$out/context"; exit 1; }
done
grep -q 'scst.iscsi' "$out/context/_build/requirements.yml"
grep -q 'ansible-core==2.21.5' "$out/context/Containerfile"
echo "build context:"
(cd "$out/context" && find . -type f | sort | sed 's/^/  /')
echo "collection ships meta/execution-environment.yml, bindep.txt ($(grep -c . "$out/bindep.out") entries found) and a requirements.txt without pins; ansible-builder create made a context"
