# Copyright: (c) scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test creates every sanity-test virtualenv without pip and then runs
``python get-pip.py [pip options] pip==X.Y`` with a script it downloads from
a host outside PyPI.  CI only reaches PyPI, so scripts/test places this file
in ansible-test's cache under the name it looks for.  It installs the pip
bundled with the interpreter (ensurepip) and then asks that pip to install
the requested packages from PyPI, as the real script does.
"""

import subprocess
import sys

# get-pip.py options that only tell it not to add setuptools/wheel.
GET_PIP_ONLY_OPTIONS = ('--no-setuptools', '--no-wheel')


def main():
    """Bootstrap pip, then install the requested packages."""
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--upgrade', '--force-reinstall'] + args)
    if '--no-setuptools' in sys.argv[1:]:
        # ensurepip adds setuptools on Python < 3.12; the real script would not.
        subprocess.call([sys.executable, '-m', 'pip', 'uninstall', '--yes', '--quiet', 'setuptools'])


if __name__ == '__main__':
    main()
