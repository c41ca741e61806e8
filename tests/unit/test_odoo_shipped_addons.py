"""The odoo role's shipped addons and its question to the image.

roles/odoo/vars/main.yml lists the files of the addons the collection ships
(_odoo_shipped_files, copied to the app hosts); a file added to
roles/odoo/files/addons/ but not listed would be missing on the hosts. The
script the role runs with the image's python3 (_odoo_find_modules_script)
decides which server-wide modules and Python packages the image lacks; it is
run here against a fake image layout.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROLE = pathlib.Path(__file__).resolve().parents[2] / "roles" / "odoo"
VARS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())


def test_every_shipped_file_is_copied():
    on_disk = sorted(
        str(path.relative_to(ROLE / "files" / "addons"))
        for path in (ROLE / "files" / "addons").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    prefix = "{{ odoo_shipped_addons_dir }}/"
    listed = sorted(entry["path"][len(prefix):] for entry in VARS["_odoo_shipped_files"]
                    if entry.get("state", "file") == "file")
    assert on_disk and listed == on_disk
    addons = sorted({name.split("/")[0] for name in on_disk})
    assert sorted(VARS["_odoo_shipped_addons"]) == addons


@pytest.fixture
def image_root(tmp_path):
    """An image's layout: the odoo package's addons, and a mounted addons directory."""
    (tmp_path / "site" / "odoo" / "addons" / "base").mkdir(parents=True)
    (tmp_path / "site" / "odoo" / "addons" / "base" / "__manifest__.py").write_text("{}")
    (tmp_path / "site" / "odoo" / "addons" / "web").mkdir()  # no manifest: not a module
    (tmp_path / "extra" / "stock_edi").mkdir(parents=True)
    (tmp_path / "extra" / "stock_edi" / "__manifest__.py").write_text("{}")
    return tmp_path


def ask(image_root, modules, packages=""):
    script = VARS["_odoo_find_modules_script"]
    env = dict(os.environ, PYTHONPATH=str(image_root / "site"))
    out = subprocess.run([sys.executable, "-c", script, "%s/extra,%s/none" % (image_root, image_root), modules, packages],
                         env=env, check=True, capture_output=True, text=True, cwd=str(image_root)).stdout
    return json.loads(out)


def test_modules_found_in_the_image_and_the_mounted_addons(image_root):
    answer = ask(image_root, "base,stock_edi")
    assert answer["missing"] == []
    assert str(image_root / "site" / "odoo" / "addons") in answer["searched"]


def test_missing_module_and_directory_without_manifest(image_root):
    assert ask(image_root, "base,web,session_redis")["missing"] == ["web", "session_redis"]


def test_missing_python_package(image_root):
    answer = ask(image_root, "base", "json,no_such_package_here")
    assert answer["packages_missing"] == ["no_such_package_here"]


def test_image_without_odoo_package(tmp_path):
    (tmp_path / "site").mkdir()
    assert ask(tmp_path, "base")["missing"] == ["base"]
