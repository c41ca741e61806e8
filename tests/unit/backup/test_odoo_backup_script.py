"""The backup role's odoo-backup script: metrics text, atomic textfiles, info parsing, retries, the restore drill's flow.

The script runs on the repository host with the standard library only; it is
loaded here by path, and every command it would run goes to a fake runner.
"""

import importlib.util
import os
import pathlib
import pwd

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[3] / "roles" / "backup" / "files" / "odoo_backup.py"


@pytest.fixture(scope="module")
def ob():
    spec = importlib.util.spec_from_file_location("odoo_backup_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ME = pwd.getpwuid(os.getuid()).pw_name


def backup(label, kind, start, stop, repo=1, error=False, delta=100):
    return {"label": label, "type": kind, "error": error, "timestamp": {"start": start, "stop": stop},
            "database": {"id": 1, "repo-key": repo}, "info": {"repository": {"delta": delta}}}


INFO = [{
    "name": "odoo",
    "status": {"code": 0, "message": "ok"},
    "repo": [{"key": 1, "status": {"code": 0}}, {"key": 2, "status": {"code": 0}}],
    "backup": [
        backup("20260101-010000F", "full", 1000, 1100),
        backup("20260101-010000F_20260102-010000D", "diff", 2000, 2050),
        backup("20260101-010000F_20260102-070000I", "incr", 3000, 3010),
        backup("20260101-010000F_20260102-100000I", "incr", 4000, 4020, error=True),
        backup("20260101-020000F", "full", 1500, 1700, repo=2),
    ],
}]


def test_metrics_text_escapes_labels_and_groups_by_name(ob):
    text = ob.format_metrics([("m_one", {"b": 'x"y', "a": "back\\slash"}, True),
                              ("m_two", {}, 1.23456),
                              ("m_one", {"a": "line\nbreak", "b": ""}, 0)], {"m_one": "Help."})
    assert text.splitlines() == [
        "# HELP m_one Help.",
        "# TYPE m_one gauge",
        'm_one{a="back\\\\slash",b="x\\"y"} 1',
        'm_one{a="line\\nbreak",b=""} 0',
        "# TYPE m_two gauge",
        "m_two 1.235",
    ]


def test_textfile_is_replaced_whole_and_readable(ob, tmp_path):
    ob.write_textfile(str(tmp_path), "odoo_backup_x.prom", "a 1\n")
    ob.write_textfile(str(tmp_path), "odoo_backup_x.prom", ob.format_metrics([("a", {"stanza": "odoo"}, 2)]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odoo_backup_x.prom"]
    path = tmp_path / "odoo_backup_x.prom"
    assert path.stat().st_mode & 0o777 == 0o644
    assert ob.read_metric(str(path), "a", {"stanza": "odoo"}) == 2.0
    assert ob.read_metric(str(path), "a", {"stanza": "other"}) is None
    assert ob.read_metric(str(tmp_path / "missing.prom"), "a") is None


@pytest.mark.parametrize("name", ["x.txt", "../x.prom", "a/b.prom"])
def test_textfile_name_must_be_a_plain_prom_file(ob, tmp_path, name):
    with pytest.raises(ValueError):
        ob.write_textfile(str(tmp_path), name, "")


def test_info_samples_take_the_newest_good_backup_per_type_and_repository(ob):
    samples = {(name, tuple(sorted(labels.items()))): value for name, labels, value in ob.info_samples(INFO, "odoo", 5000)}

    def get(name, **labels):
        return samples[(name, tuple(sorted(dict(stanza="odoo", **labels).items())))]

    assert get("odoo_backup_stanza_status_code") == 0
    assert get("odoo_backup_count") == 4  # the errored incremental is not a backup
    assert get("odoo_backup_last_completion_timestamp_seconds", type="incr", repo="1") == 3010
    assert get("odoo_backup_last_age_seconds", type="incr", repo="1") == 1990
    assert get("odoo_backup_last_completion_timestamp_seconds", type="full", repo="2") == 1700
    assert get("odoo_backup_last_duration_seconds", type="full", repo="1") == 100
    assert get("odoo_backup_oldest_completion_timestamp_seconds") == 1100


def test_info_samples_of_a_missing_stanza_say_so(ob):
    names = {name: value for name, _labels, value in ob.info_samples(INFO, "other", 5000)}
    assert names == {"odoo_backup_stanza_status_code": 99, "odoo_backup_count": 0}


class FakeRun(object):
    """Answers each command by the first matching rule (a word it contains -> rc, stdout, stderr); records them all."""

    def __init__(self, rules, hook=None):
        self.rules = rules
        self.calls = []
        self.hook = hook

    def __call__(self, argv, timeout=None):
        self.calls.append(list(argv))
        if self.hook:
            self.hook(argv)
        for word, answer in self.rules:
            if any(word == part or part.endswith(word) for part in argv):
                return answer.pop(0) if isinstance(answer, list) else answer
        return 0, "", ""


@pytest.mark.parametrize(
    ("answers", "retries", "ok", "attempts", "sleeps"),
    [
        ([(0, "done", "")], 1, True, 1, 0),
        ([(1, "", "ERROR: [056]: unable to find primary cluster"), (0, "", "")], 1, True, 2, 1),
        ([(1, "", "e1"), (1, "", "e2"), (1, "", "e3")], 2, False, 3, 2),
        ([(28, "", "ERROR: lock")], 0, False, 1, 0),
    ],
    ids=["first-try", "retried-after-failover", "every-try-fails", "no-retry"],
)
def test_backup_retries_then_reports(ob, answers, retries, ok, attempts, sleeps):
    slept = []
    run = FakeRun([("backup", list(answers))])
    ticks = iter(range(100, 200, 10))
    samples, all_ok = ob.run_backup(run, "odoo", "diff", [1], retries, 30, sleep=slept.append, clock=lambda: next(ticks))
    assert all_ok is ok
    assert len(run.calls) == attempts
    assert run.calls[0] == ["pgbackrest", "--stanza=odoo", "--type=diff", "--repo=1", "--log-level-console=info", "backup"]
    assert slept == [30] * sleeps
    values = {name: value for name, _labels, value in samples}
    assert values["odoo_backup_run_success"] is ok
    assert values["odoo_backup_run_attempts"] == attempts


def test_backup_to_two_repositories_fails_when_one_fails(ob):
    run = FakeRun([("--repo=2", (1, "", "ERROR: S3 unreachable"))])
    samples, ok = ob.run_backup(run, "odoo", "full", [1, 2], 0, 0, sleep=lambda _: None)
    assert not ok
    assert [(labels["repo"], value) for name, labels, value in samples if name == "odoo_backup_run_success"] == \
        [("1", True), ("2", False)]


@pytest.mark.parametrize("path", ["/", "/var/lib", "relative/dir", "/var/lib/postgresql"])
def test_scratch_dir_refuses_paths_it_could_hurt(ob, path):
    with pytest.raises(ValueError):
        ob.check_scratch_dir(path)


def test_schema_queries_quote_nothing_and_refuse_odd_names(ob):
    assert ob.schema_queries({"res_users": 1, "ir_module_module": 1}) == [
        ("schema", "SELECT to_regclass('public.ir_module_module') IS NOT NULL"),
        ("ir_module_module", "SELECT count(*) FROM public.ir_module_module"),
        ("res_users", "SELECT count(*) FROM public.res_users"),
    ]
    with pytest.raises(ValueError):
        ob.schema_queries({"res_users; DROP TABLE x": 1})


@pytest.mark.parametrize(
    ("answers", "problems"),
    [
        ({"schema": "t", "res_users": "3"}, []),
        ({"schema": "f", "res_users": "3"}, ["db has no ir_module_module table: not an Odoo database, or an empty restore"]),
        ({"schema": "t", "res_users": "0"}, ["db: res_users holds 0 rows, fewer than 1"]),
        ({"schema": "t", "res_users": None}, ["db: cannot count res_users"]),
    ],
    ids=["sound", "not-odoo", "too-few-rows", "table-missing"],
)
def test_judge_database(ob, answers, problems):
    assert ob.judge_database("db", answers, {"res_users": 1}) == problems


def test_arguments_are_checked(ob):
    args = ob.parse_args(["restore-verify", "--stanza", "odoo", "--config", "/c", "--scratch-dir", "/var/lib/x/y",
                          "--pg-bin-dir", "/usr/lib/postgresql/15/bin", "--min-rows", "res_users=2", "--database", "acme"])
    assert args.min_rows == {"res_users": 2} and args.repo == [1] and args.database == ["acme"]
    for bad in (["backup", "--stanza", "odoo", "--type", "weekly"],
                ["metrics", "--stanza", "bad stanza"],
                ["restore-verify", "--stanza", "odoo", "--config", "/c", "--scratch-dir", "/x/y/z", "--pg-bin-dir", "/b",
                 "--min-rows", "res_users"]):
        with pytest.raises(SystemExit):
            ob.parse_args(bad)


def drill_args(ob, tmp_path, *extra):
    scratch = tmp_path / "verify"
    scratch.mkdir()
    return ob.parse_args(["restore-verify", "--stanza", "odoo", "--user", ME, "--config", "/etc/pgbackrest/restore-verify.conf",
                          "--scratch-dir", str(scratch), "--pg-bin-dir", "/usr/lib/postgresql/15/bin", "--port", "55432",
                          "--database", "acme", "--min-rows", "res_users=1", "--min-rows", "ir_module_module=1"] + list(extra))


def postmaster(data_dir):
    """A hook that plays PostgreSQL's pid file: there after pg_ctl start, gone after stop."""
    def hook(argv):
        pid = os.path.join(data_dir, "postmaster.pid")
        if argv[-1] == "restore":
            os.makedirs(data_dir)
        elif argv[-1] == "start":
            open(pid, "w").close()
        elif argv[-1] == "stop" and os.path.exists(pid):
            os.unlink(pid)
    return hook


def test_restore_drill_passes_and_cleans_up(ob, tmp_path):
    args = drill_args(ob, tmp_path)
    info = '[{"name": "odoo", "status": {"code": 0}, "backup": [%s]}]' % str(backup("L", "full", 10, 20)).replace("'", '"') \
        .replace("False", "false")
    run = FakeRun([("info", (0, info, "")),
                   ("SELECT pg_is_in_recovery()", (0, "f\n", "")),
                   ("SELECT to_regclass('public.ir_module_module') IS NOT NULL", (0, "t\n", "")),
                   ("SELECT count(*) FROM public.ir_module_module", (0, "12\n", "")),
                   ("SELECT count(*) FROM public.res_users", (0, "4\n", ""))],
                  hook=postmaster(str(tmp_path / "verify" / "data")))
    drill = ob.RestoreDrill(run, args)
    assert drill.drill() is True
    assert [call[-1] for call in run.calls if call[0] in ("pgbackrest",) or call[0].endswith("pg_ctl")] == \
        ["info", "restore", "start", "stop", "verify"]
    restore = next(call for call in run.calls if call[-1] == "restore")
    assert "--type=immediate" in restore and "--archive-mode=off" in restore and "--target-action=promote" in restore
    start = next(call for call in run.calls if call[-1] == "start")
    options = start[start.index("-o") + 1]
    assert "-c archive_mode=off" in options and "listen_addresses=''" in options and "-c port=55432" in options
    assert not (tmp_path / "verify" / "data").exists()
    samples = {(name, labels.get("step", labels.get("table"))): value
               for name, labels, value in drill.samples(True, 100, 160, None)}
    assert samples[("odoo_backup_restore_verify_success", None)] is True
    assert samples[("odoo_backup_restore_verify_duration_seconds", None)] == 60
    assert samples[("odoo_backup_restore_verify_last_success_timestamp_seconds", None)] == 160
    assert samples[("odoo_backup_restore_verify_table_rows", "res_users")] == 4
    assert samples[("odoo_backup_restore_verify_backup_timestamp_seconds", None)] == 20


def test_restore_drill_fails_loudly_on_a_wrong_schema_and_still_stops_the_server(ob, tmp_path):
    args = drill_args(ob, tmp_path)
    info = '[{"name": "odoo", "status": {"code": 0}, "backup": [{"type": "full", "timestamp": {"start": 1, "stop": 2}}]}]'
    run = FakeRun([("info", (0, info, "")),
                   ("SELECT pg_is_in_recovery()", (0, "f\n", "")),
                   ("SELECT to_regclass('public.ir_module_module') IS NOT NULL", (0, "f\n", ""))],
                  hook=postmaster(str(tmp_path / "verify" / "data")))
    drill = ob.RestoreDrill(run, args)
    assert drill.drill() is False
    assert [call[-1] for call in run.calls if call[0].endswith("pg_ctl")] == ["start", "stop"]
    # The scratch copy of a failed drill stays for a look.
    assert (tmp_path / "verify" / "data").exists()
    steps = dict((labels["step"], value) for name, labels, value in drill.samples(False, 0, 1, 50)
                 if name == "odoo_backup_restore_verify_step_success")
    assert steps["schema acme"] is False and steps["restore"] is True
    last = [value for name, _labels, value in drill.samples(False, 0, 1, 50)
            if name == "odoo_backup_restore_verify_last_success_timestamp_seconds"]
    assert last == [50]


def test_restore_drill_without_a_backup_fails_before_touching_postgresql(ob, tmp_path):
    args = drill_args(ob, tmp_path)
    run = FakeRun([("info", (0, '[{"name": "odoo", "status": {"code": 2}, "backup": []}]', ""))])
    drill = ob.RestoreDrill(run, args)
    assert drill.drill() is False
    assert not any(call[0].endswith("pg_ctl") for call in run.calls)


def test_restore_drill_waits_for_the_end_of_recovery(ob, tmp_path):
    # pg_ctl -w returns while recovery runs; with hot_standby off the server
    # refuses connections until it has promoted.
    args = drill_args(ob, tmp_path)
    info = '[{"name": "odoo", "status": {"code": 0}, "backup": [{"type": "full", "timestamp": {"start": 1, "stop": 2}}]}]'
    refused = (2, "", "FATAL:  the database system is not accepting connections")
    run = FakeRun([("info", (0, info, "")),
                   ("SELECT pg_is_in_recovery()", [refused, refused, (0, "f\n", "")]),
                   ("SELECT to_regclass('public.ir_module_module') IS NOT NULL", (0, "t\n", "")),
                   ("SELECT count(*) FROM public.ir_module_module", (0, "12\n", "")),
                   ("SELECT count(*) FROM public.res_users", (0, "4\n", ""))],
                  hook=postmaster(str(tmp_path / "verify" / "data")))
    sleeps = []
    drill = ob.RestoreDrill(run, args, sleep=sleeps.append)
    assert drill.drill() is True
    assert sleeps == [1, 1]


def test_restore_drill_gives_up_on_a_recovery_that_never_ends(ob, tmp_path):
    args = drill_args(ob, tmp_path, "--timeout", "60")
    info = '[{"name": "odoo", "status": {"code": 0}, "backup": [{"type": "full", "timestamp": {"start": 1, "stop": 2}}]}]'
    now = [1000.0]

    def sleep(seconds):
        now[0] += seconds

    run = FakeRun([("info", (0, info, "")),
                   ("SELECT pg_is_in_recovery()", (2, "", "FATAL:  the database system is not accepting connections"))],
                  hook=postmaster(str(tmp_path / "verify" / "data")))
    drill = ob.RestoreDrill(run, args, clock=lambda: now[0], sleep=sleep)
    assert drill.drill() is False
    assert now[0] == 1060.0
    steps = dict((labels["step"], value) for name, labels, value in drill.samples(False, 0, 1, None)
                 if name == "odoo_backup_restore_verify_step_success")
    assert steps["start"] is False and steps["stop"] is True
