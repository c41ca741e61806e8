"""The filter plugin a test file names in FILTER, imported for that file only (fixture ``flt``).

Importing controller code (ansible.errors) sets ansible-core's process-wide
``is_controller`` flag, from which on module_utils' warn() goes to the display
instead of the module result. ansible-test runs controller and module tests in
separate processes; in this one pytest run, the module tests collected after
these must still see a module's world: the flag is put back after the file.
"""

import importlib

import pytest


@pytest.fixture(scope="module")
def flt(request):
    from ansible.module_utils import _internal
    was_controller = _internal.is_controller
    yield importlib.import_module("ansible_collections.sysgenpro.odoo_hosting.plugins.filter." + request.module.FILTER)
    _internal.is_controller = was_controller
