"""The execution environment definition agrees with the rest of the repository.

execution-environment.yml installs the collection from the tarball that
scripts/build-collection.sh makes (its name carries galaxy.yml's version), pins
the ansible-core and ansible the project tests with (requirements-dev.txt), and
leaves the collection's own requirements to meta/execution-environment.yml.
"""

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _yaml(name):
    return yaml.safe_load((ROOT / name).read_text())


def _dev_pins():
    pins = {}
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip()] = version.strip()
    return pins


def test_the_collection_tarball_carries_the_galaxy_version():
    galaxy = _yaml("galaxy.yml")
    collections = _yaml("execution-environment.yml")["dependencies"]["galaxy"]["collections"]
    expected = "/build/collections/%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"])
    assert [c["name"] for c in collections] == [expected]


def test_ansible_core_and_ansible_are_the_tested_versions():
    pins = _dev_pins()
    dependencies = _yaml("execution-environment.yml")["dependencies"]
    assert dependencies["ansible_core"]["package_pip"] == "ansible-core==%s" % pins["ansible-core"]
    assert "ansible==%s" % pins["ansible"] in dependencies["python"]


def test_the_collection_declares_its_own_requirements_once():
    meta = _yaml("meta/execution-environment.yml")
    assert meta["dependencies"] == {"python": "meta/requirements.txt", "system": "bindep.txt"}
    for name in meta["dependencies"].values():
        assert (ROOT / name).is_file(), name
    # The EE file names none of them again: they come in with the collection.
    dependencies = _yaml("execution-environment.yml")["dependencies"]
    assert "system" not in dependencies
    required = {line.split("#", 1)[0].strip() for line in (ROOT / "meta/requirements.txt").read_text().splitlines()} - {""}
    assert not required & {entry.split("=", 1)[0].strip() for entry in dependencies["python"]}


def test_the_builder_files_exist():
    for entry in _yaml("execution-environment.yml")["additional_build_files"]:
        if "*" not in entry["src"]:
            assert (ROOT / entry["src"]).is_file(), entry["src"]
