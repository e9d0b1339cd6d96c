# shellcheck shell=bash
# Stage "matrix" of scripts/test (sourced by it): the unit tests and
# ansible-test sanity under every ansible-core line of
# tests/ansible-core-matrix.txt, each in its own virtualenv
# (.cache/matrix/LINE) on the controller Python the row names. The row that
# .venv already is (same pin, same Python) reuses the results of the stages
# unit and sanity of this run, or runs them when they did not run.
# The table goes to tests/output/matrix.md.

MATRIX_FILE="$ROOT/tests/ansible-core-matrix.txt"
# The test tools of each virtualenv, at requirements-dev.txt's pins.
MATRIX_TEST_PACKAGES=(pytest pytest-xdist hypothesis fusepy)

# An interpreter for Python X.Y: pythonX.Y on PATH, else pyenv's newest X.Y.*.
matrix_python() {
    local version="$1" candidate
    if "python$version" -c 'import sys' >/dev/null 2>&1; then
        command -v "python$version"
        return 0
    fi
    local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    for candidate in $(printf '%s\n' "$pyenv_root"/versions/"$version".*/bin/"python$version" | sort -rV); do
        if [[ -x "$candidate" ]] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

# The exact pins of requirements-dev.txt for the named packages.
matrix_test_pins() {
    local name pin
    for name in "${MATRIX_TEST_PACKAGES[@]}"; do
        pin=$(grep -iE "^${name}==" "$ROOT/requirements-dev.txt") || {
            say "requirements-dev.txt pins no $name"
            return 1
        }
        printf '%s\n' "$pin"
    done
}

# Create or refresh .cache/matrix/LINE for the pin on Python VERSION.
matrix_venv() {
    local line="$1" version="$2" pin="$3" interpreter pins venv="$ROOT/.cache/matrix/$1"
    interpreter=$(matrix_python "$version") || {
        say "ansible-core $line is tested on Python $version, and no python$version is installed" \
            "(on PATH or under pyenv): install it, e.g. 'pyenv install $version'"
        return 1
    }
    pins=$(matrix_test_pins) || return 1
    local wanted
    wanted=$(printf '%s\n%s\n%s\n' "$("$interpreter" -V 2>&1)" "$pin" "$pins" | sha256sum | cut -d' ' -f1)
    if [[ -x "$venv/bin/python" && "$(cat "$venv/.stamp" 2>/dev/null)" == "$wanted" ]]; then
        return 0
    fi
    say "creating .cache/matrix/$line: $pin on $("$interpreter" -V 2>&1)"
    rm -rf "$venv"
    "$interpreter" -m venv "$venv" || return 1
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$pin" $pins || return 1
    printf '%s\n' "$wanted" >"$venv/.stamp"
}

# Run stage_unit and stage_sanity inside the virtualenv of one row; print
# "unit-detail<TAB>sanity-detail<TAB>status". The subshell keeps the row's
# PATH, OUTPUT and PYTEST_ARGS (read by the stage functions) from leaking.
# shellcheck disable=SC2030,SC2034
matrix_run_row() {
    local line="$1" version="$2" venv="$ROOT/.cache/matrix/$1"
    (
        export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" PYTHON_VERSION="$version"
        OUTPUT="$ROOT/tests/output/matrix/$line"
        PYTEST_ARGS=()
        mkdir -p "$OUTPUT"
        local unit_rc=0 sanity_rc=0 unit_detail sanity_detail
        STAGE_DETAIL=""
        stage_unit >"$OUTPUT/unit.log" 2>&1 || unit_rc=$?
        unit_detail=$STAGE_DETAIL
        STAGE_DETAIL=""
        stage_sanity >"$OUTPUT/sanity-stage.log" 2>&1 || sanity_rc=$?
        sanity_detail=$STAGE_DETAIL
        printf '%s\t%s\t%s\n' "${unit_detail:-no result}" "${sanity_detail:-no result}" \
            "$( ((unit_rc == 0 && sanity_rc == 0)) && echo ok || echo FAILED)"
    )
}

stage_matrix() {
    local dev_pin dev_python line version pin result rows=() failed=0
    dev_pin=$(grep -E '^ansible-core==' "$ROOT/requirements-dev.txt" "$ROOT/requirements.txt" | head -n1 | cut -d: -f2)
    dev_python=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    while read -r line version pin; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        say "--- ansible-core $line ($pin) on Python $version"
        if [[ "$pin" == "$dev_pin" && "$version" == "$dev_python" && -n "${STAGE_RESULT[unit]:-}" && -n "${STAGE_RESULT[sanity]:-}" ]]; then
            result=$(printf '%s\t%s\t%s' "${STAGE_RESULT[unit]#* }" "${STAGE_RESULT[sanity]#* }" \
                "$([[ "${STAGE_RESULT[unit]%% *}" == ok && "${STAGE_RESULT[sanity]%% *}" == ok ]] && echo ok || echo FAILED)")
            say "(.venv: the results of the stages unit and sanity of this run)"
        elif matrix_venv "$line" "$version" "$pin"; then
            result=$(matrix_run_row "$line" "$version")
        else
            result=$(printf 'not run\tnot run\tFAILED')
        fi
        say "$result" | tr '\t' '\n' | sed 's/^/    /'
        [[ "${result##*$'\t'}" == ok ]] || failed=$((failed + 1))
        rows+=("$(printf '| %s | %s | %s | %s | %s |' "$line" "$version" \
            "$(cut -f2 <<<"$result")" "$(cut -f1 <<<"$result")" "${result##*$'\t'}")")
    done <"$MATRIX_FILE"
    # shellcheck disable=SC2031 # OUTPUT is the run's own here, not a row's
    {
        printf '| ansible-core | Python | sanity | unit | result |\n|---|---|---|---|---|\n'
        printf '%s\n' "${rows[@]}"
    } | tee "$OUTPUT/matrix.md"
    stage_detail "${#rows[@]} ansible-core lines, $failed failed (tests/output/matrix.md)"
    ((${#rows[@]} > 0 && failed == 0))
}

register_stage matrix yes "unit and sanity under every ansible-core line of tests/ansible-core-matrix.txt"
