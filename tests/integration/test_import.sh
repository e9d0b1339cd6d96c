#!/usr/bin/env bash
# scst_import run ad hoc (`ansible localhost -m scst_import`) on the fixture
# files: scst.conf written by scstadmin on the lab target, an IET ietd.conf and
# a tgt targets.conf.  Checks: the variables file is written with mode 0600 and
# holds what the converter returns (secrets included), the returned config and
# the diff are masked, check mode writes nothing, a second run is not changed,
# and a wrong mode is repaired.
set -euo pipefail
F=tests/integration/files
FIX="$PWD/tests/unit/scst/fixtures"   # absolute: modules do not run in this directory
OUT="$TEST_TMPDIR"

run() {   # run NAME JSON_ARGS [--check]: ad hoc, result JSON in $OUT/NAME.json
    local name="$1"
    shift
    python "$F/adhoc.py" scst_import "$@" >"$OUT/$name.json"
}

# The ad-hoc output leaves the diff out: runs that check it go through a
# playbook that registers the result (diff included) and saves it.
cat >"$OUT/diff.yml" <<'YAML'
- name: Run scst_import in diff mode and keep its result
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Import
      scst.iscsi.scst_import:
        src: "{{ src }}"
        format: "{{ fmt | default('scst') }}"
        dest: "{{ dest | default(omit) }}"
        var_name: "{{ var_name | default(omit) }}"
      register: result
      diff: true
      check_mode: "{{ check | default(false) | bool }}"
    - name: Save the result
      ansible.builtin.copy:
        content: "{{ result | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
      check_mode: false
YAML

run_diff() {  # run_diff NAME JSON_EXTRA_VARS: result JSON (with diff) in $OUT/NAME.json
    local name="$1" vars="$2"
    ANSIBLE_LOCALHOST_WARNING=false ansible-playbook "$OUT/diff.yml" \
        -e "$vars" -e "{\"result_file\": \"$OUT/$name.json\"}" >"$OUT/$name.log"
}

check() {  # check NAME PYTHON_EXPRESSION_OVER_r
    python - "$OUT/$1.json" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert eval(sys.argv[2]), "%s failed on %s" % (sys.argv[2], json.dumps(r)[:3000])
PY
}

mode_of() { stat -c %a "$1"; }

for case in "scst scst-lab.conf" "ietd ietd.conf" "tgt targets.conf"; do
    read -r fmt file <<<"$case"
    dest="$OUT/$fmt-vars.yml"
    args="{\"format\": \"$fmt\", \"src\": \"$FIX/$file\", \"dest\": \"$dest\"}"
    vars="{\"fmt\": \"$fmt\", \"src\": \"$FIX/$file\", \"dest\": \"$dest\"}"

    # check mode: would change, writes nothing
    run_diff "$fmt-check" "${vars%\}}, \"check\": true}"
    check "$fmt-check" 'r["changed"] is True and "diff" in r'
    [[ ! -e "$dest" ]] || { echo "check mode wrote $dest"; exit 1; }

    # real run
    run_diff "$fmt-1" "$vars"
    check "$fmt-1" 'r["changed"] is True and r["dest"].endswith("-vars.yml") and isinstance(r["report"], list)'
    [[ "$(mode_of "$dest")" == 600 ]] || { echo "$dest has mode $(mode_of "$dest")"; exit 1; }

    # second run, and second run in check mode: nothing to do
    run "$fmt-2" "$args"
    check "$fmt-2" 'r["changed"] is False'
    run "$fmt-3" "$args" --check
    check "$fmt-3" 'r["changed"] is False'

    # the file holds the converted configuration with its real secrets;
    # the module's output and diff hold none of them
    python - "$fmt" "$FIX/$file" "$dest" "$OUT/$fmt-1.json" "$OUT/$fmt-check.json" "$OUT/$fmt-1.log" <<'PY'
import json, sys, yaml
from ansible_collections.scst.iscsi.plugins.module_utils.scst.conf import mask_secrets, parse_scst_conf
from ansible_collections.scst.iscsi.plugins.module_utils.scst.migrate import ietd_to_config, tgt_to_config
fmt, src, dest, result_file, check_file, log_file = sys.argv[1:]
convert = {"scst": parse_scst_conf, "ietd": ietd_to_config, "tgt": tgt_to_config}[fmt]
config, report = convert(open(src).read())
written = yaml.safe_load(open(dest))
assert list(written) == ["scst_config"], list(written)
assert written["scst_config"] == config, "the file differs from the converter's result"
secrets = [a["password"] for d in config["drivers"].values()
           for chap in [d["chap"]] + [t["chap"] for t in d["targets"].values()]
           for direction in ("incoming", "outgoing") for a in chap[direction]]
assert secrets and all(s in open(dest).read() for s in secrets)
for name in (result_file, check_file, log_file):   # the log shows the diff
    text = open(name).read()
    leaked = [s for s in secrets if s in text]
    assert not leaked, "%s leaks %d secret(s)" % (name, len(leaked))
result = json.load(open(result_file))
assert result["report"] == report
assert json.loads(json.dumps(mask_secrets(config))) == result["config"]
assert "********" in json.dumps(result["config"])
assert "********" in result["diff"]["after"] and result["diff"]["before"] == ""
print("ok %s: %d report lines, %d secrets kept in the file only" % (fmt, len(report), len(secrets)))
PY
    yamllint -d "{extends: default, rules: {line-length: {max: 160}}}" "$dest"
done

# a file readable by others is repaired (and reported as a change)
dest="$OUT/scst-vars.yml"
chmod 0644 "$dest"
run_diff repair "{\"src\": \"$FIX/scst-lab.conf\", \"dest\": \"$dest\"}"
check repair 'r["changed"] is True and "(mode 0644)" in r["diff"]["before_header"]'
[[ "$(mode_of "$dest")" == 600 ]]

# another variable name is another file content; check mode leaves the old one
sum_before="$(sha256sum "$dest")"
run_diff rename "{\"src\": \"$FIX/scst-lab.conf\", \"dest\": \"$dest\", \"var_name\": \"lab_scst\", \"check\": true}"
check rename 'r["changed"] is True and "lab_scst:" in r["diff"]["after"] and "scst_config:" in r["diff"]["before"]'
[[ "$(sha256sum "$dest")" == "$sum_before" ]]

# a changed secret is a change, and the diff says so without showing it
sed 's/labuser secret12chars/labuser other-secret-99/' "$FIX/scst-lab.conf" >"$OUT/changed.conf"
run secret "{\"src\": \"$OUT/changed.conf\", \"dest\": \"$OUT/secret.yml\"}"
run secret2 "{\"src\": \"$OUT/changed.conf\", \"dest\": \"$OUT/secret.yml\"}"
check secret2 'r["changed"] is False'
sed -i 's/other-secret-99/third-secret-77/' "$OUT/changed.conf"
run_diff secret3 "{\"src\": \"$OUT/changed.conf\", \"dest\": \"$OUT/secret.yml\"}"
check secret3 'r["changed"] is True and "a CHAP secret changed" in r["diff"]["after_header"]'
if grep -q -e other-secret-99 -e third-secret-77 "$OUT/secret3.json" "$OUT/secret3.log"; then
    echo "a CHAP secret leaked into the result or the diff"
    exit 1
fi
grep -q third-secret-77 "$OUT/secret.yml"

# without dest: only the result, nothing written
run nodest "{\"format\": \"tgt\", \"src\": \"$FIX/targets.conf\"}"
check nodest 'r["changed"] is False and "dest" not in r and r["config"]["drivers"]["iscsi"]["targets"]'

# failures name the problem
run missing "{\"src\": \"$OUT/does-not-exist.conf\"}"
check missing 'r["changed"] is False and "cannot read" in r["msg"] and "No such file" in r["msg"]'
run badvar "{\"src\": \"$FIX/scst-lab.conf\", \"var_name\": \"1bad-name\"}"
check badvar '"msg" in r and r["msg"].startswith("var_name:")'
printf '[HANDLER vdisk]\nDEVICE d,/srv/d\n' >"$OUT/old.conf"
run deprecated "{\"src\": \"$OUT/old.conf\"}"
check deprecated '"msg" in r and "deprecated pre-sysfs" in r["msg"]'
echo "ok scst_import"
