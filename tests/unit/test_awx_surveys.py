"""The AWX surveys in awx/surveys/ stay equal to the argument specs they come from.

scripts/awx_surveys.py builds each survey from awx/surveys.yml and the
argument specs; a committed survey that differs from a fresh build, a question
whose variable left its spec, a required option asked as an optional question
or a type, choice or default that changed fails here. The playbooks' own
options (playbooks/meta/argument_specs.yml) keep the defaults of the plays'
vars:, and no playbook prompts (AWX has no terminal).
"""

import importlib.util
import json
import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"

_spec = importlib.util.spec_from_file_location("awx_surveys", ROOT / "scripts" / "awx_surveys.py")
awx_surveys = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(awx_surveys)

DEFINITION = yaml.safe_load((ROOT / "awx" / "surveys.yml").read_text())["job_templates"]
COMMITTED = {path.stem: json.loads(path.read_text()) for path in sorted((ROOT / "awx" / "surveys").glob("*.json"))}


def _options(source, template):
    if source == "playbook":
        specs = yaml.safe_load((PLAYBOOKS / "meta" / "argument_specs.yml").read_text())["argument_specs"]
        return specs[template]["options"]
    specs = yaml.safe_load((ROOT / "roles" / source / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return specs["main"]["options"]


def _questions():
    for key, template in DEFINITION.items():
        for item in template.get("questions") or []:
            yield pytest.param(key, item, id="%s-%s" % (key, item["variable"]))


def test_committed_surveys_equal_a_fresh_build():
    fresh = awx_surveys.surveys()
    assert sorted(COMMITTED) == sorted(fresh), "run python3 scripts/awx_surveys.py"
    for key, survey in fresh.items():
        assert (ROOT / "awx" / "surveys" / ("%s.json" % key)).read_text() == awx_surveys.render(survey), (
            "awx/surveys/%s.json is out of date: run python3 scripts/awx_surveys.py" % key)


def test_every_template_has_its_playbook():
    for key, template in DEFINITION.items():
        assert template["playbook"] == "playbooks/%s.yml" % key
        assert (ROOT / template["playbook"]).is_file(), template["playbook"]


@pytest.mark.parametrize(("template", "item"), list(_questions()))
def test_each_question_matches_its_spec_option(template, item):
    options = _options(item["from"], template)
    assert item["variable"] in options, "%s is not in the spec it names" % item["variable"]
    option = options[item["variable"]]
    asked = {q["variable"]: q for q in COMMITTED[template]["spec"]}[item["variable"]]
    if option.get("required"):
        assert asked["required"] is True
    if option.get("no_log"):
        assert asked["type"] == "password" and "default" not in asked
    else:
        expected_type = {"str": "text", "path": "text", "int": "integer", "float": "float"}.get(option.get("type", "str"))
        if option.get("choices"):
            expected_type = "multiselect" if option.get("type") == "list" else "multiplechoice"
        assert asked["type"] == expected_type
    if option.get("choices"):
        assert asked["choices"] == [str(c) for c in option["choices"]]
    if "default" in option and not awx_surveys.is_template(option["default"]) and not option.get("no_log"):
        assert asked["default"] == option["default"]
    else:
        assert "default" not in asked
    assert asked["question_description"] == awx_surveys.plain_text(option.get("description"))


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ({"type": "str"}, "text"),
        ({}, "text"),
        ({"type": "path"}, "text"),
        ({"type": "str", "choices": ["a", "b"]}, "multiplechoice"),
        ({"type": "int"}, "integer"),
        ({"type": "float"}, "float"),
        ({"type": "list", "elements": "str", "choices": ["a", "b"]}, "multiselect"),
        ({"type": "str", "no_log": True}, "password"),
    ],
    ids=["str", "untyped", "path", "str-choices", "int", "float", "list-choices", "secret"],
)
def test_type_mapping(option, expected):
    assert awx_surveys.survey_type("example_option", option) == expected


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"type": "bool"}, "no boolean question"),
        ({"type": "list", "elements": "str"}, "list without choices"),
        ({"type": "dict"}, "dict"),
        ({"type": "int", "choices": [1, 2]}, "int with choices"),
        ({"type": "int", "no_log": True}, "cannot be a password question"),
    ],
    ids=["bool", "free-list", "dict", "int-choices", "int-secret"],
)
def test_types_no_survey_carries_are_refused(option, message):
    with pytest.raises(awx_surveys.SurveyError, match=message):
        awx_surveys.survey_type("example_option", option)


def test_question_fields():
    option = {"type": "str", "choices": ["full", "incr"], "default": "incr", "description": ["Use C(incr)", "or V(full)."]}
    assert awx_surveys.question("example_kind", option, "Kind") == {
        "question_name": "Kind",
        "question_description": "Use incr or full.",
        "variable": "example_kind",
        "type": "multiplechoice",
        "required": False,
        "default": "incr",
        "choices": ["full", "incr"],
    }


def test_a_secret_never_gets_a_default():
    asked = awx_surveys.question("example_password", {"type": "str", "no_log": True, "default": "x"}, "Password")
    assert asked["type"] == "password" and "default" not in asked


def test_a_multiselect_default_is_one_choice_a_line():
    option = {"type": "list", "elements": "str", "choices": ["a", "b", "c"], "default": ["a", "c"]}
    assert awx_surveys.question("example_list", option, "List")["default"] == "a\nc"


def test_a_jinja_default_needs_a_required_question():
    option = {"type": "str", "default": "odoo:{{ odoo_version }}"}
    with pytest.raises(awx_surveys.SurveyError, match="make the question required"):
        awx_surveys.question("example_image", option, "Image")
    asked = awx_surveys.question("example_image", option, "Image", required=True)
    assert asked["required"] is True and "default" not in asked


def test_a_required_option_stays_a_required_question():
    assert awx_surveys.question("example_name", {"type": "str", "required": True}, "Name")["required"] is True


def _write(tmp_path, definition, playbook_options):
    (tmp_path / "awx").mkdir()
    (tmp_path / "playbooks" / "meta").mkdir(parents=True)
    (tmp_path / "awx" / "surveys.yml").write_text(yaml.safe_dump({"job_templates": definition}))
    (tmp_path / "playbooks" / "meta" / "argument_specs.yml").write_text(
        yaml.safe_dump({"argument_specs": {"example": {"short_description": "x", "options": playbook_options}}}))
    return tmp_path


def test_a_question_outside_its_spec_is_refused(tmp_path):
    root = _write(tmp_path, {"example": {"questions": [{"variable": "example_gone", "from": "playbook", "question": "?"}]}},
                  {"example_here": {"type": "str", "default": ""}})
    with pytest.raises(awx_surveys.SurveyError, match="example_gone is not an option of playbooks/meta/argument_specs.yml"):
        awx_surveys.surveys(root)


def test_a_required_option_cannot_be_made_optional(tmp_path):
    root = _write(tmp_path, {"example": {"questions": [
        {"variable": "example_name", "from": "playbook", "question": "?", "required": False}]}},
        {"example_name": {"type": "str", "required": True}})
    with pytest.raises(awx_surveys.SurveyError, match="cannot be optional"):
        awx_surveys.surveys(root)


def test_a_template_without_questions_has_no_survey(tmp_path):
    root = _write(tmp_path, {"example": {"questions": []}}, {})
    assert awx_surveys.surveys(root) == {}


# The playbooks' own options: playbooks/meta/argument_specs.yml lists each
# play variable an operator may set, with the play's default.

def _play_vars(playbook):
    plays = yaml.safe_load((PLAYBOOKS / ("%s.yml" % playbook)).read_text())
    found = {}
    for play in plays:
        for name, value in (play.get("vars") or {}).items():
            if not name.startswith("_"):
                found[name] = value
    return found


_PLAYBOOK_SPECS = yaml.safe_load((PLAYBOOKS / "meta" / "argument_specs.yml").read_text())["argument_specs"]


@pytest.mark.parametrize("playbook", sorted(_PLAYBOOK_SPECS))
def test_playbook_options_match_the_play_vars(playbook):
    options = _PLAYBOOK_SPECS[playbook]["options"]
    play_vars = _play_vars(playbook)
    assert sorted(play_vars) == sorted(options)
    for name, option in options.items():
        if option.get("required"):
            # A placeholder the play's own check refuses with a message, not a default.
            assert play_vars[name] in ("", None), name
        else:
            assert type(option["default"]) is type(play_vars[name]) and option["default"] == play_vars[name], name


def _all_playbooks():
    return sorted(PLAYBOOKS.glob("*.yml")) + [ROOT / "awx" / "configure.yml"]


def _task_files():
    return sorted(PLAYBOOKS.glob("tasks/*.yml")) + sorted(ROOT.glob("roles/*/tasks/*.yml")) + sorted(ROOT.glob("roles/*/handlers/*.yml"))


def _tasks(node):
    """Every task in a play's or a file's task list, blocks included."""
    for task in node or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key))


def _prompting_pauses(tasks):
    """Names of the tasks that pause for an answer (a pause without seconds or minutes waits for the keyboard)."""
    found = []
    for task in _tasks(tasks):
        for module in ("ansible.builtin.pause", "ansible.legacy.pause", "pause"):
            if module in task:
                args = task[module]
                if not (isinstance(args, dict) and ("seconds" in args or "minutes" in args)):
                    found.append(task.get("name", module))
    return found


@pytest.mark.parametrize("path", _all_playbooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_playbook_prompts(path):
    for play in yaml.safe_load(path.read_text()):
        if "import_playbook" in play or "ansible.builtin.import_playbook" in play:
            continue
        assert "vars_prompt" not in play, "%s prompts (vars_prompt): AWX has no terminal" % path.name
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            assert _prompting_pauses(play.get(section)) == [], "%s pauses for an answer: AWX has no terminal" % path.name


@pytest.mark.parametrize("path", _task_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_task_file_prompts(path):
    assert _prompting_pauses(yaml.safe_load(path.read_text())) == [], "%s pauses for an answer" % path


@pytest.mark.parametrize(
    ("tasks", "expected"),
    [
        ([{"name": "wait", "ansible.builtin.pause": {"seconds": 5}}], []),
        ([{"name": "ask", "ansible.builtin.pause": {"prompt": "Go on?"}}], ["ask"]),
        ([{"name": "ask", "pause": None}], ["ask"]),
        ([{"name": "outer", "block": [{"name": "inner", "ansible.builtin.pause": {"prompt": "?"}}]}], ["inner"]),
    ],
    ids=["timed", "prompt", "bare", "in-block"],
)
def test_prompting_pause_detection(tasks, expected):
    assert _prompting_pauses(tasks) == expected
