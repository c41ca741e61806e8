"""Make the collection importable as ``ansible_collections.sysgenpro.odoo_hosting``.

scripts/dev-env.sh links the checkout into ``.ansible/collections``; this puts that
directory on ``sys.path`` so unit tests import module code the way Ansible does.
"""

import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_COLLECTIONS = os.path.join(_ROOT, ".ansible", "collections")
_LINK = os.path.join(_COLLECTIONS, "ansible_collections", "sysgenpro", "odoo_hosting")

if not os.path.exists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(_ROOT, _LINK)
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
pytest_plugins = ["services"]
