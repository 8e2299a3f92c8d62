"""sudo profile: molecule/default's tests (bookworm), run on the platforms of group `sudo` (one per other release).

The tests themselves live in molecule/default/tests/test_sudo_profile.py (one place); pytest collects
every test_* function of this module's namespace, so loading them here runs them on these hosts.
"""

import importlib.util
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from platforms import hosts  # noqa: E402

testinfra_hosts = hosts("sudo")

_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "default", "tests", "test_sudo_profile.py")
_spec = importlib.util.spec_from_file_location("default_sudo_profile", _PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
globals().update((name, value) for name, value in vars(_module).items() if name.startswith("test_"))
