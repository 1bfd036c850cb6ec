"""Make `import xent` find the package in bindings/python without installing it, unless
XENT_TEST_INSTALLED=1 (scripts/suites/32-wheel.sh: the tests run against the installed wheel)."""
import os
import pathlib
import sys

if os.environ.get("XENT_TEST_INSTALLED") != "1":
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
