#!/usr/bin/env bash
# scripts/san-lab step 1 (`scripts/san-lab source`) without a network: SCST is
# fetched at the ref of roles/scst_build/defaults/main.yml from local stand-ins
# for the remote: a git repository (file://) and a tarball served over HTTP on
# 127.0.0.1. Each case runs the script on a small copy of the repository (the
# script and the scst_build defaults, with the stand-in's URL and commit in
# place of upstream's), so the real read of the defaults file is tested.
#  1. git: a shallow fetch of the pinned commit, cached; a second run reuses it
#     with the remote gone; a server that refuses the commit by id: full clone
#  2. tarball: git fails, the tarball of the ref is fetched and used
#  3. both fail: exit non-zero, the SCST_SOURCE message, nothing left in the cache
#  4. SCST_SOURCE set: used as before, nothing fetched
#  5. a remote that hangs: the time limit ends the fetch, Ctrl-C the script
set -euo pipefail

for tool in git curl; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/san-lab fetches with it)"; exit 77; }
done
work=$TEST_TMPDIR
server_pid=""
trap '[[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@localhost
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@localhost
unset SCST_SOURCE SCST_LAB_GIT_URL SCST_LAB_TARBALL_URL

# --- the stand-in: a tiny SCST tree; the pinned commit is not a branch tip ----
standin=$work/standin
mkdir -p "$standin/scst" "$standin/iscsi-scst"
echo 'all:' >"$standin/scst/Makefile"
echo 'all:' >"$standin/iscsi-scst/Makefile"
git -C "$standin" init --quiet
git -C "$standin" add .
git -C "$standin" commit --quiet -m pinned
pinned=$(git -C "$standin" rev-parse HEAD)
echo later >"$standin/later"
git -C "$standin" add later
git -C "$standin" commit --quiet -m later

# A copy of the repository for one run: scripts/san-lab and the scst_build
# defaults naming the stand-in (the URL quoted and commented, as YAML allows).
make_copy() {
    local copy=$work/$1
    mkdir -p "$copy/scripts" "$copy/roles/scst_build/defaults"
    cp scripts/san-lab "$copy/scripts/"
    sed -e "s|^scst_build_git_url:.*|scst_build_git_url: \"file://$standin\"  # the stand-in|" \
        -e "s|^scst_build_git_version:.*|scst_build_git_version: $pinned|" \
        roles/scst_build/defaults/main.yml >"$copy/roles/scst_build/defaults/main.yml"
    grep -q "^scst_build_git_version: $pinned\$" "$copy/roles/scst_build/defaults/main.yml" ||
        fail "the copy's defaults do not name the stand-in's commit"
    echo "$copy"
}
# run NAME COPY [VAR=VALUE...]: scripts/san-lab source in COPY; sets rc, out
# (stdout: the source path) and err (messages), kept in $work/NAME.{out,err}.
run() {
    local name=$1 copy=$2
    shift 2
    rc=0
    env "$@" "$copy/scripts/san-lab" source >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    out=$(cat "$work/$name.out")
    err=$(cat "$work/$name.err")
    echo "--- $name: exit $rc, stdout: $out"
    sed 's/^/  | /' "$work/$name.err"
}
no_partial() {
    ! compgen -G "$1/.cache/scst-source/.partial-*" >/dev/null || fail "$2: a temporary fetch directory was left"
}

# --- 1. git ---------------------------------------------------------------------
copy=$(make_copy git)
cached=$copy/.cache/scst-source/$pinned
run git-first "$copy" SCST_LAB_TARBALL_URL=http://127.0.0.1:1/unused.tar.gz
((rc == 0)) || fail "git: exit $rc"
[[ $out == "$cached" ]] || fail "git: printed '$out', not the cache path $cached"
[[ -f $cached/scst/Makefile && -d $cached/iscsi-scst ]] || fail "git: no SCST tree in $cached"
[[ $(git -C "$cached" rev-parse HEAD) == "$pinned" ]] || fail "git: the cache is not at $pinned"
[[ ! -e $cached/later ]] || fail "git: the cache holds a commit after the pinned one"
[[ $err == *"with git from file://$standin"* ]] || fail "git: the URL was not read from the defaults"
[[ $err != *"cloning the whole repository"* ]] || fail "git: the shallow fetch of one commit was not used"
no_partial "$copy" git

# the second run fetches nothing: the remote is gone and the cache still serves
run git-again "$copy" SCST_LAB_GIT_URL=file:///nonexistent SCST_LAB_TARBALL_URL=http://127.0.0.1:1/unused.tar.gz
((rc == 0)) || fail "git, second run: exit $rc"
[[ $out == "$cached" ]] || fail "git, second run: printed '$out', not $cached"
[[ $err == *"fetched before"* && $err != *fetching* ]] || fail "git, second run: fetched again"

# a server that hands out no commit by its id (protocol v0, the commit not a
# tip): the shallow fetch is refused and a full clone gives the pinned commit
copy=$(make_copy git-clone)
cached=$copy/.cache/scst-source/$pinned
run git-clone "$copy" SCST_LAB_TARBALL_URL=http://127.0.0.1:1/unused.tar.gz \
    GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=protocol.version GIT_CONFIG_VALUE_0=0
((rc == 0)) || fail "git clone: exit $rc"
[[ $err == *"cloning the whole repository"* ]] || fail "git clone: the shallow fetch was not refused"
[[ $out == "$cached" && $(git -C "$cached" rev-parse HEAD) == "$pinned" ]] || fail "git clone: the cache is not at $pinned"
no_partial "$copy" "git clone"

# --- 2. tarball -----------------------------------------------------------------
# GitHub's archive layout: one top directory scst-<ref>/
served=$work/served
mkdir -p "$served"
git -C "$standin" archive --format=tar.gz --prefix="scst-$pinned/" -o "$served/scst.tar.gz" "$pinned"
tar -czf "$served/not-scst.tar.gz" -C "$work" served/scst.tar.gz
python3 -u -m http.server --bind 127.0.0.1 --directory "$served" 0 >"$work/http.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 50); do
    port=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$work/http.log" | head -n 1)
    [[ -n $port ]] && break
    sleep 0.1
done
[[ -n $port ]] || fail "the HTTP stand-in did not start: $(cat "$work/http.log")"
base=http://127.0.0.1:$port

copy=$(make_copy tarball)
cached=$copy/.cache/scst-source/$pinned
run tarball "$copy" SCST_LAB_GIT_URL=file:///nonexistent SCST_LAB_TARBALL_URL="$base/scst.tar.gz"
((rc == 0)) || fail "tarball: exit $rc"
[[ $out == "$cached" ]] || fail "tarball: printed '$out', not $cached"
[[ -f $cached/scst/Makefile && -d $cached/iscsi-scst && ! -e $cached/.git ]] || fail "tarball: no SCST tree from the tarball in $cached"
[[ $err == *"fetching the tarball $base/scst.tar.gz"* ]] || fail "tarball: not fetched"
grep -q 'GET /scst.tar.gz HTTP/1.1" 200' "$work/http.log" || fail "tarball: the HTTP stand-in served nothing"
no_partial "$copy" tarball

# --- 3. both fail ---------------------------------------------------------------
for case in missing:"$base/missing.tar.gz" not-scst:"$base/not-scst.tar.gz"; do
    name=${case%%:*}
    copy=$(make_copy "fail-$name")
    run "fail-$name" "$copy" SCST_LAB_GIT_URL=file:///nonexistent SCST_LAB_TARBALL_URL="${case#*:}"
    ((rc != 0)) || fail "both fail ($name): exit 0"
    [[ -z $out ]] || fail "both fail ($name): printed a source path '$out'"
    [[ $err == *"Point SCST_SOURCE at a copy on this machine"* ]] || fail "both fail ($name): not the SCST_SOURCE message"
    grep -q "^  git file:///nonexistent: ." "$work/fail-$name.err" || fail "both fail ($name): no line for git"
    grep -q "^  tarball ${case#*:}: ." "$work/fail-$name.err" || fail "both fail ($name): no line for the tarball"
    [[ -z $(ls -A "$copy/.cache/scst-source") ]] || fail "both fail ($name): left in the cache: $(ls -A "$copy/.cache/scst-source")"
done
grep -q "^  tarball .*: curl: (22)" "$work/fail-missing.err" || fail "both fail (missing): curl's reason not given"
grep -q "^  tarball .*: the tarball holds no SCST source tree" "$work/fail-not-scst.err" ||
    fail "both fail (not-scst): the check of the fetched tree did not refuse it"

# --- 4. SCST_SOURCE wins ----------------------------------------------------------
copy=$(make_copy given)
mkdir -p "$work/given"
git -C "$standin" archive "$pinned" | tar -xf - -C "$work/given"
run given-dir "$copy" SCST_SOURCE="$work/given" SCST_LAB_TARBALL_URL="$base/scst.tar.gz"
((rc == 0)) || fail "SCST_SOURCE=dir: exit $rc"
[[ $out == "$(realpath "$work/given")" ]] || fail "SCST_SOURCE=dir: printed '$out'"
run given-tarball "$copy" SCST_SOURCE="$served/scst.tar.gz" SCST_LAB_TARBALL_URL="$base/scst.tar.gz"
((rc == 0)) || fail "SCST_SOURCE=tarball: exit $rc"
[[ $out == "$(realpath "$served/scst.tar.gz")" ]] || fail "SCST_SOURCE=tarball: printed '$out'"
[[ ! -e $copy/.cache/scst-source ]] || fail "SCST_SOURCE set: something was fetched"
[[ $err != *fetching* ]] || fail "SCST_SOURCE set: fetching"

# --- 5. a remote that hangs -------------------------------------------------------
# git's remote answers nothing (an ext:: helper that sleeps; the trap ends it):
# the time limit ends the fetch, and Ctrl-C ends the script at once.
printf '#!/bin/sh\necho $$ >>"%s/hang.pids"\nexec sleep 60\n' "$work" >"$work/hang-remote"
chmod +x "$work/hang-remote"
trap '[[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
      [[ ! -f $work/hang.pids ]] || xargs kill <"$work/hang.pids" 2>/dev/null || true' EXIT
hang=(SCST_LAB_GIT_URL="ext::$work/hang-remote" GIT_ALLOW_PROTOCOL=ext SCST_LAB_TARBALL_URL="$base/missing.tar.gz")
copy=$(make_copy hang)
started=$SECONDS
run hang "$copy" SCST_LAB_FETCH_TIMEOUT=2 "${hang[@]}"
((rc != 0)) || fail "hang: exit 0"
grep -q "^  git ext::$work/hang-remote: no answer within 2 s" "$work/hang.err" || fail "hang: the time limit did not end the fetch"
[[ $err != *"cloning the whole repository"* ]] || fail "hang: a clone was tried after the fetch timed out"
((SECONDS - started < 20)) || fail "hang: took $((SECONDS - started)) s"
[[ -z $(ls -A "$copy/.cache/scst-source") ]] || fail "hang: left in the cache"

# Ctrl-C is SIGINT to the foreground process group. A background job of this
# shell would ignore SIGINT, so python starts the script in a group of its own.
copy=$(make_copy interrupt)
env "${hang[@]}" python3 - "$copy/scripts/san-lab" "$work/interrupt.err" <<'PY' || fail "interrupt: Ctrl-C did not stop the fetch"
import os, signal, subprocess, sys, time
script, err = sys.argv[1:]
p = subprocess.Popen([script, "source"], start_new_session=True, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=open(err, "w"),
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
deadline = time.time() + 10
while "with git from" not in open(err).read() and time.time() < deadline:
    time.sleep(0.1)
time.sleep(1)
os.killpg(p.pid, signal.SIGINT)
started = time.time()
try:
    rc = p.wait(timeout=10)
except subprocess.TimeoutExpired:
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    sys.exit("still running 10 s after SIGINT")
print("--- interrupt: exit %d, %.1f s after SIGINT" % (rc, time.time() - started))
sys.exit(0 if rc != 0 and time.time() - started < 5 else 1)
PY
[[ -z $(ls -A "$copy/.cache/scst-source") ]] || fail "interrupt: left in the cache: $(ls -A "$copy/.cache/scst-source")"

echo "san-lab source: git (shallow, cached, full clone), tarball, both failing, SCST_SOURCE set, a hanging remote (time limit, Ctrl-C) all behave"
