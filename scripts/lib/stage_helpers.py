# Copyright: (c) scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers used by scripts/test (run with the .venv interpreter).

Sub-commands:
  sanity-files ROOT          NUL-separated list of files that ansible-test
                             sanity checks: every git tracked and
                             untracked-but-not-ignored file (tests/, benchmarks/,
                             scripts/ included, as when ansible-test runs at the
                             repository root), minus ALWAYS_EXCLUDED.
  sanity-ignores ROOT        print entries of tests/sanity/ignore-*.txt, exit 1
                             when there is any.
  get-pip-cache              print the path where ansible-test looks for its
                             cached pip bootstrap script.
  junit-summary FILE...      print "<tests> <passed> <failed> <errors> <skipped>"
                             summed over pytest junit XML files.
"""

import glob
import os
import subprocess
import sys
import xml.etree.ElementTree as ET


# Never part of the content handed to ansible-test, whatever galaxy.yml says.
ALWAYS_EXCLUDED = ('.git', '.venv', '.collections', '.cache', '.ansible', 'tests/output')


def _excluded(path):
    parts = path.split('/')
    return any('/'.join(parts[:i]) in ALWAYS_EXCLUDED for i in range(1, len(parts) + 1))


def _candidate_files(root):
    if os.path.isdir(os.path.join(root, '.git')) or os.path.isfile(os.path.join(root, '.git')):
        def git(*args):
            out = subprocess.check_output(('git', '-C', root, 'ls-files', '-z') + args)
            return set(p for p in out.decode('utf-8', 'surrogateescape').split('\0') if p)
        return sorted(git('--cached', '--others', '--exclude-standard') - git('--deleted'))
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames
                       if os.path.normpath(os.path.join(rel_dir, d)) not in ALWAYS_EXCLUDED]
        files.extend(os.path.normpath(os.path.join(rel_dir, f)) for f in filenames)
    return sorted(files)


def sanity_files(root):
    """Write the NUL-separated file list for the sanity copy to stdout.

    galaxy.yml build_ignore does not apply: contributors and CI actions run
    ansible-test at the repository root, over every file git knows."""
    for path in _candidate_files(root):
        if _excluded(path) or path.endswith(('.pyc', '.retry')):
            continue
        if not os.path.lexists(os.path.join(root, path)):
            continue
        sys.stdout.write(path + '\0')
    return 0


def sanity_ignores(root):
    """Report entries in tests/sanity/ignore-*.txt (the project allows none)."""
    found = 0
    for path in sorted(glob.glob(os.path.join(root, 'tests', 'sanity', 'ignore-*.txt'))):
        with open(path, encoding='utf-8') as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():  # ansible-test rejects comment-only lines too
                    found += 1
                    print('%s:%d: %s' % (os.path.relpath(path, root), number, line.rstrip()))
    return 1 if found else 0


def get_pip_cache():
    """Print the cache path of ansible-test's pip bootstrap script."""
    # ansible-test is only importable from the .venv, not at module load time.
    from ansible_test._internal.python_requirements import get_venv_packages  # pylint: disable=import-outside-toplevel

    class _Python:  # pylint: disable=too-few-public-methods
        version = '%d.%d' % sys.version_info[:2]

    pip_version = get_venv_packages(_Python())['pip']
    print(os.path.expanduser('~/.ansible/test/cache/get_pip_%s.py' % pip_version.replace('.', '_')))
    return 0


def junit_summary(paths):
    """Print test counts summed over junit XML files written by pytest."""
    tests = failed = errors = skipped = 0
    for path in paths:
        if not os.path.exists(path):
            continue
        tree = ET.parse(path)
        suites = tree.getroot()
        if suites.tag == 'testsuite':
            suites = [suites]
        for suite in suites:
            tests += int(suite.get('tests', 0))
            failed += int(suite.get('failures', 0))
            errors += int(suite.get('errors', 0))
            skipped += int(suite.get('skipped', 0))
    passed = tests - failed - errors - skipped
    print(tests, passed, failed, errors, skipped)
    return 0


def main(argv):
    """Dispatch a sub-command."""
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    command, args = argv[1], argv[2:]
    if command == 'sanity-files':
        return sanity_files(args[0])
    if command == 'sanity-ignores':
        return sanity_ignores(args[0])
    if command == 'get-pip-cache':
        return get_pip_cache()
    if command == 'junit-summary':
        return junit_summary(args)
    sys.stderr.write('unknown command: %s\n' % command)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
