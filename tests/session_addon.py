"""Where the collection's session store addon lives, and its Odoo-free core.

The addon ships in roles/odoo/files/addons/session_redis_sentinel; tests load
its ``core.py`` by path, as the stand-in does, since the package's
``__init__`` imports Odoo.
"""

import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDONS_DIR = os.path.join(ROOT, "roles", "odoo", "files", "addons")
ADDON_NAME = "session_redis_sentinel"
ADDON_DIR = os.path.join(ADDONS_DIR, ADDON_NAME)


def load_core():
    """roles/odoo/files/addons/session_redis_sentinel/core.py as the module ``session_core``."""
    if "session_core" not in sys.modules:
        spec = importlib.util.spec_from_file_location("session_core",
                                                      os.path.join(ADDON_DIR, "core.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["session_core"] = module
        spec.loader.exec_module(module)
    return sys.modules["session_core"]
