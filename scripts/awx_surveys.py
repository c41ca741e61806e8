#!/usr/bin/env python3
"""Write the AWX survey of every job template in awx/surveys.yml from the argument specs.

    python3 scripts/awx_surveys.py           # writes awx/surveys/<template>.json
    python3 scripts/awx_surveys.py --check   # exits 1 when a committed survey is out of date

Each question takes its type, choices, default and description from an option
of a role's meta/argument_specs.yml (entry point main) or of
playbooks/meta/argument_specs.yml (entry point: the template's key). Python 3.11
standard library and PyYAML only.
"""

import argparse
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFINITION = pathlib.Path("awx/surveys.yml")
SURVEYS_DIR = pathlib.Path("awx/surveys")
PLAYBOOK_SPECS = pathlib.Path("playbooks/meta/argument_specs.yml")

# Ansible's documentation markup (C(x), O(x=y), V(x), I(x), ...) reads as plain text in AWX.
_MARKUP = re.compile(r"\b[A-Z]\(([^()]*)\)")


class SurveyError(Exception):
    """A question the argument specs cannot carry into an AWX survey."""


def plain_text(description):
    """One line of text from an argument spec description (a string or a list of paragraphs)."""
    if description is None:
        return ""
    if isinstance(description, list):
        description = " ".join(str(part) for part in description)
    return " ".join(_MARKUP.sub(r"\1", str(description)).split())


def is_template(value):
    """True for a value Ansible would template (AWX cannot evaluate it)."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list):
        return any(is_template(item) for item in value)
    return False


def survey_type(variable, option):
    """The AWX survey type of one argument spec option, or SurveyError when there is none."""
    kind = option.get("type", "str")
    choices = option.get("choices")
    if option.get("no_log"):
        if kind != "str":
            raise SurveyError("%s: a secret of type %s cannot be a password question" % (variable, kind))
        return "password"
    if kind == "str":
        return "multiplechoice" if choices else "text"
    if kind == "path":
        return "text"
    if kind == "int" and not choices:
        return "integer"
    if kind == "float" and not choices:
        return "float"
    if kind == "list" and choices and option.get("elements", "str") == "str":
        return "multiselect"
    if kind == "bool":
        raise SurveyError(
            "%s: AWX surveys have no boolean question (a multiple choice answers the string 'false', which "
            "ansible-core 2.19 refuses in a conditional); set it in the inventory or the launch's extra variables"
            % variable)
    raise SurveyError("%s: no AWX survey type carries a %s%s" % (
        variable, kind, " with choices" if choices else (" without choices" if kind == "list" else "")))


def question(variable, option, label, required=False):
    """One AWX survey question from an argument spec option.

    required: make an optional option a required question (a required option always is one).
    """
    kind = survey_type(variable, option)
    spec_required = bool(option.get("required"))
    entry = {
        "question_name": label,
        "question_description": plain_text(option.get("description")),
        "variable": variable,
        "type": kind,
        "required": spec_required or bool(required),
    }
    default = option.get("default")
    if kind == "password":
        default = None  # a secret never ships a default, not even in AWX
    elif is_template(default):
        if not entry["required"]:
            raise SurveyError(
                "%s: its default (%s) is a Jinja expression AWX cannot evaluate: make the question required"
                % (variable, default))
        default = None
    if default is not None:
        # AWX keeps a multiselect's default as its choices, one a line.
        entry["default"] = "\n".join(default) if kind == "multiselect" else default
    if kind in ("multiplechoice", "multiselect"):
        entry["choices"] = [str(choice) for choice in option["choices"]]
    return entry


def load_yaml(root, path):
    return yaml.safe_load((root / path).read_text())


def spec_options(root, source, template):
    """The options of the argument spec a question comes from, and that spec's path."""
    if source == "playbook":
        path, entry_point = PLAYBOOK_SPECS, template
    else:
        path, entry_point = pathlib.Path("roles") / source / "meta" / "argument_specs.yml", "main"
    if not (root / path).is_file():
        raise SurveyError("%s: %s does not exist" % (template, path))
    entry = (load_yaml(root, path).get("argument_specs") or {}).get(entry_point)
    if entry is None:
        raise SurveyError("%s: %s has no entry point %s" % (template, path, entry_point))
    return entry.get("options") or {}, path


def surveys(root=ROOT):
    """{template key: AWX survey spec} for every template with questions in awx/surveys.yml."""
    result = {}
    for key, template in (load_yaml(root, DEFINITION).get("job_templates") or {}).items():
        spec = []
        for item in template.get("questions") or []:
            variable = item["variable"]
            options, path = spec_options(root, item["from"], key)
            if variable not in options:
                raise SurveyError("%s: %s is not an option of %s" % (key, variable, path))
            if item.get("required") is False and options[variable].get("required"):
                raise SurveyError("%s: %s is required by %s; its question cannot be optional" % (key, variable, path))
            spec.append(question(variable, options[variable], item["question"], item.get("required", False)))
        if spec:
            result[key] = {"name": key, "description": template.get("description", ""), "spec": spec}
    return result


def render(survey):
    """The file text of one survey (stable: sorted keys, two-space indent, final newline)."""
    return json.dumps(survey, indent=2, sort_keys=True) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report surveys that differ from the specs")
    args = parser.parse_args(argv)
    try:
        wanted = {SURVEYS_DIR / ("%s.json" % key): render(survey) for key, survey in surveys().items()}
    except SurveyError as error:
        print("awx_surveys: cannot write the surveys: %s" % error, file=sys.stderr)
        return 2
    present = set((ROOT / SURVEYS_DIR).glob("*.json"))
    stale = sorted(path for path in present if path.relative_to(ROOT) not in wanted)
    differ = sorted(path for path, text in wanted.items()
                    if not (ROOT / path).is_file() or (ROOT / path).read_text() != text)
    if args.check:
        for path in differ + [p.relative_to(ROOT) for p in stale]:
            print("awx_surveys: %s is out of date: run python3 scripts/awx_surveys.py" % path, file=sys.stderr)
        return 1 if differ or stale else 0
    (ROOT / SURVEYS_DIR).mkdir(parents=True, exist_ok=True)
    for path in differ:
        (ROOT / path).write_text(wanted[path])
        print("awx_surveys: wrote %s" % path)
    for path in stale:
        path.unlink()
        print("awx_surveys: removed %s (no questions, or no template)" % path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
