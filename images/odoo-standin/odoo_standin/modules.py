"""Addons and server-wide modules, found as Odoo 18.0 finds them (CONTRACT.md).

A module is a directory holding ``__manifest__.py``. The roots searched are
``<data_dir>/addons/<series>`` (when it exists), each entry of ``addons_path``,
then the image's own addons (the odoo package's ``addons`` directory). The
server always loads ``base`` and ``web`` besides ``server_wide_modules``; a
name found nowhere is logged as the real server logs a failed import, and the
server starts anyway, with every page that renders asset bundles broken.
"""

import ast
import logging
import os

from . import VERSION

_module_logger = logging.getLogger("odoo.modules.module")
_server_logger = logging.getLogger("odoo.service.server")
_loading_logger = logging.getLogger("odoo.modules.loading")

MANIFEST = "__manifest__.py"
# Where the official image (the Debian package) has Odoo's addons; the same
# place relative to this package in the stand-in image and in the source tree.
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILTIN_CANDIDATES = (os.path.join(_HERE, "odoo", "addons"), os.path.join(_HERE, "addons"))
WEB_HINT = """
The `web` module is provided by the addons found in the `openerp-web` project.
Maybe you forgot to add those addons in your addons_path configuration."""


def builtin_root():
    """The image's own addons directory (base, web, ...)."""
    for path in BUILTIN_CANDIDATES:
        if os.path.isdir(path):
            return path
    return BUILTIN_CANDIDATES[0]


def addons_roots(config):
    """The directories searched for modules, in Odoo's order."""
    roots = []
    data_addons = os.path.join(config["data_dir"], "addons", VERSION)
    if os.access(data_addons, os.R_OK):
        roots.append(data_addons)
    for entry in (config["addons_path"] or "").split(","):
        if entry.strip():
            roots.append(os.path.abspath(entry.strip()))
    roots.append(builtin_root())
    return list(dict.fromkeys(roots))


def module_path(roots, name):
    """The directory of module ``name`` in the first root that has it, or None."""
    if not name or "/" in name or "\\" in name:
        return None
    for root in roots:
        if os.path.isfile(os.path.join(root, name, MANIFEST)):
            return os.path.join(root, name)
    return None


def server_wide_names(config):
    """``server_wide_modules``, then ``base`` and ``web`` when not listed (as 18.0)."""
    names = [n.strip() for n in (config["server_wide_modules"] or "").split(",") if n.strip()]
    names.extend(m for m in ("base", "web") if m not in names)
    return names


class LoadedModules:
    """Result of loading the server-wide modules: found {name: dir}, missing [names]."""

    def __init__(self, found, missing):
        self.found = found
        self.missing = missing

    @property
    def assets_broken(self):
        """True when ir.asset would read a manifest that is not there (KeyError 'assets')."""
        return bool(self.missing)


def load_server_wide_modules(config):
    """Find each server-wide module; log those missing as the real server does."""
    roots = addons_roots(config)
    found, missing = {}, []
    for name in server_wide_names(config):
        path = module_path(roots, name)
        if path:
            found[name] = path
            continue
        missing.append(name)
        _module_logger.critical("Couldn't load module %s", name)
        try:
            raise ModuleNotFoundError("No module named 'odoo.addons.%s'" % name,
                                      name="odoo.addons.%s" % name)
        except ModuleNotFoundError:
            _server_logger.exception("Failed to load server-wide module `%s`.%s", name,
                                     WEB_HINT if name == "web" else "")
    return LoadedModules(found, missing)


class MissingDependency(Exception):
    """A module asked for install depends on one found nowhere (Odoo's UserError text)."""

    def __init__(self, module, dependency):
        super().__init__("You try to install module %r that depends on module %r.\n"
                         "But the latter module is not available in your system."
                         % (module, dependency))


def manifest_depends(path):
    """The ``depends`` of the module at ``path`` (its manifest is a Python literal)."""
    with open(os.path.join(path, MANIFEST), encoding="utf-8") as handle:
        data = ast.literal_eval(handle.read())
    return list(data.get("depends", [])) if isinstance(data, dict) else []


def to_install(config, names):
    """The modules ``-i``/``-u`` installs: ``names`` found, with their dependencies, in order.

    As Odoo 18.0's loading: a name found in no addons root is logged
    ("invalid module names, ignored") and skipped; a dependency found
    nowhere stops the install (MissingDependency). ``base`` always comes
    first; ``all`` is Odoo's placeholder and ignored.
    """
    roots = addons_roots(config)
    wanted = [name for name in dict.fromkeys(names) if name not in ("all", "base")]
    invalid = sorted(name for name in wanted if module_path(roots, name) is None)
    if invalid:
        _loading_logger.warning("invalid module names, ignored: %s", ", ".join(invalid))
    ordered, visiting = ["base"], set()

    def add(name, asked_by):
        if name in ordered or name in visiting:
            return
        path = module_path(roots, name)
        if path is None:
            raise MissingDependency(asked_by, name)
        visiting.add(name)
        for dependency in manifest_depends(path):
            add(dependency, name)
        ordered.append(name)

    for name in wanted:
        if name not in invalid:
            add(name, name)
    return ordered
