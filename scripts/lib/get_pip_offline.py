"""Offline stand-in for pip's get-pip.py bootstrap script, for ansible-test.

ansible-test creates each sanity test's venv without pip and then runs a
get-pip.py it downloads from a host this machine cannot reach. This script
does the same job with what is reachable: pip from Python's own ensurepip,
then `pip install` of the packages ansible-test asks for, from PyPI.
scripts/sanity.sh puts it where ansible-test looks for its cached copy.
"""

import ensurepip
import os
import subprocess
import sys

# get-pip.py takes these two flags itself; pip install does not know them.
OWN_FLAGS = ("--no-setuptools", "--no-wheel")


def main():
    args = [arg for arg in sys.argv[1:] if arg not in OWN_FLAGS]
    # ensurepip hides pip's configuration (PIP_* and the config files) from the
    # process it runs in; the install below needs it back (a CA bundle, say).
    environ = dict(os.environ)
    ensurepip.bootstrap(upgrade=False)
    return subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + args, env=environ)


if __name__ == "__main__":
    sys.exit(main())
