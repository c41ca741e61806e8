"""Attachments as Odoo 18.0 stores them, its upload and content routes, and
`odoo shell` with force_storage (CONTRACT.md, "Attachments")."""

import hashlib
import io
import json
import os
import subprocess
import sys

import pytest

from odoo_standin import db
from odoo_standin.cli import initialize
from odoo_standin.server import content_disposition, parse_multipart
from odoo_standin.shell import run_shell

from standin_helpers import STANDIN_SOURCE, dbname_for
from test_http import http_call
from test_server_wide_modules import login_form

BOUNDARY = "standin-test-boundary"
PDF = b"%PDF-1.4 stand-in test attachment\n"


def multipart(fields, files):
    """A multipart/form-data body: fields {name: value}, files [(field, filename, bytes)]."""
    parts = []
    for name, value in fields.items():
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                      % (BOUNDARY, name, value)).encode())
    for field, filename, data in files:
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                      'Content-Type: application/octet-stream\r\n\r\n'
                      % (BOUNDARY, field, filename)).encode() + data + b"\r\n")
    body = b"".join(parts) + ("--%s--\r\n" % BOUNDARY).encode()
    return body, {"Content-Type": "multipart/form-data; boundary=%s" % BOUNDARY}


@pytest.fixture
def tenant(make_config, serve, request):
    config = make_config(["-d", dbname_for(request), "-i", "base"])
    initialize(config)
    running = serve(config)
    status, headers, _body = http_call(running.http_port, "POST", "/web/login",
                                       *login_form("admin"))
    assert status == 303
    running.cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
    running.db = config["db_name"]
    return running


def set_storage(tenant, location):
    db.query(tenant.app.config, tenant.db, """
        INSERT INTO ir_config_parameter (key, value) VALUES ('ir_attachment.location', %s)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""", (location,))


def upload(tenant, files, **fields):
    body, headers = multipart(dict({"model": "res.partner", "id": "3"}, **fields), files)
    return http_call(tenant.http_port, "POST", "/web/binary/upload_attachment", body,
                     dict(headers, **tenant.cookie))


def row(tenant, attachment_id):
    return db.query(tenant.app.config, tenant.db, """
        SELECT name, res_model, res_id, type, mimetype, file_size, checksum, store_fname,
               db_datas FROM ir_attachment WHERE id = %s""", (attachment_id,))[0]


def filestore_file(tenant, store_fname):
    return os.path.join(tenant.app.config["data_dir"], "filestore", tenant.db, store_fname)


def test_upload_needs_a_logged_in_session(tenant):
    body, headers = multipart({"model": "res.partner", "id": "3"}, [("ufile", "a.pdf", PDF)])
    status, answer, _body = http_call(tenant.http_port, "POST", "/web/binary/upload_attachment",
                                      body, headers)
    assert status == 303 and answer["Location"].startswith("/web/login?redirect=")


def test_upload_to_the_filestore_and_read_back(tenant):
    status, headers, body = upload(tenant, [("ufile", "report.pdf", PDF),
                                            ("ufile", "notes.txt", b"hello")])
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    first, second = json.loads(body)
    assert first == {"filename": "report.pdf", "mimetype": "application/pdf",
                     "id": first["id"], "size": len(PDF)}
    assert second["mimetype"] == "text/plain" and second["size"] == 5
    sha = hashlib.sha1(PDF).hexdigest()
    stored = row(tenant, first["id"])
    name, model, res_id, kind, _mime, size, checksum, store_fname, db_datas = stored
    assert (name, model, res_id, kind, size, checksum) == ("report.pdf", "res.partner", 3, "binary", len(PDF), sha)
    assert (store_fname, db_datas) == ("%s/%s" % (sha[:2], sha), None)
    with open(filestore_file(tenant, store_fname), "rb") as handle:
        assert handle.read() == PDF

    status, headers, body = http_call(tenant.http_port, "GET", "/web/content/%d" % first["id"],
                                      headers=tenant.cookie)
    assert (status, body, headers["Content-Type"]) == (200, PDF, "application/pdf")
    assert headers["Content-Disposition"] == 'inline; filename="report.pdf"'
    status, headers, body = http_call(tenant.http_port, "GET",
                                      "/web/content/%d?download=true" % first["id"],
                                      headers=tenant.cookie)
    assert status == 200 and headers["Content-Disposition"] == 'attachment; filename="report.pdf"'


def test_upload_to_the_database(tenant):
    set_storage(tenant, "db")
    _status, _headers, body = upload(tenant, [("ufile", "report.pdf", PDF)])
    attachment_id = json.loads(body)[0]["id"]
    store_fname, db_datas = row(tenant, attachment_id)[7:]
    assert (store_fname, bytes(db_datas)) == (None, PDF)
    status, _headers, body = http_call(tenant.http_port, "GET", "/web/content/%d" % attachment_id,
                                       headers=tenant.cookie)
    assert (status, body) == (200, PDF)


def test_upload_with_a_callback_answers_a_script(tenant):
    _status, _headers, body = upload(tenant, [("ufile", "a.txt", b"x")], callback="done<")
    assert body.startswith(b'<script language="javascript"')
    assert b'win.jQuery(win).trigger("done", [{"filename": "a.txt"' in body


def test_content_of_a_missing_attachment_or_without_a_session_is_404(tenant):
    assert http_call(tenant.http_port, "GET", "/web/content/999999",
                     headers=tenant.cookie)[0] == 404
    _status, _headers, body = upload(tenant, [("ufile", "a.txt", b"x")])
    attachment_id = json.loads(body)[0]["id"]
    assert http_call(tenant.http_port, "GET", "/web/content/%d" % attachment_id)[0] == 404


def test_a_file_missing_on_this_host_answers_500(tenant):
    """Another host's filestore: Odoo 18.0's Stream.from_attachment stats the file and fails."""
    _status, _headers, body = upload(tenant, [("ufile", "report.pdf", PDF)])
    attachment_id = json.loads(body)[0]["id"]
    os.unlink(filestore_file(tenant, row(tenant, attachment_id)[7]))
    assert http_call(tenant.http_port, "GET", "/web/content/%d" % attachment_id,
                     headers=tenant.cookie)[0] == 500


FORCE_STORAGE = "env['ir.attachment'].force_storage()\nenv.cr.commit()\n"


def test_force_storage_moves_files_to_the_database_and_back(tenant):
    _status, _headers, body = upload(tenant, [("ufile", "report.pdf", PDF),
                                              ("ufile", "lost.txt", b"lost")])
    kept, lost = [answer["id"] for answer in json.loads(body)]
    os.unlink(filestore_file(tenant, row(tenant, lost)[7]))  # written on another host
    set_storage(tenant, "db")
    assert run_shell(tenant.app.config, io.StringIO(FORCE_STORAGE)) == 0
    assert (row(tenant, kept)[7], bytes(row(tenant, kept)[8])) == (None, PDF)
    # As in Odoo: the missing file reads as empty, and the attachment is emptied.
    assert (row(tenant, lost)[5], bytes(row(tenant, lost)[8])) == (0, b"")

    sha = hashlib.sha1(PDF).hexdigest()
    fname = "%s/%s" % (sha[:2], sha)
    os.unlink(filestore_file(tenant, fname))  # the old file is gone: db -> file writes it again
    set_storage(tenant, "file")
    assert run_shell(tenant.app.config, io.StringIO(FORCE_STORAGE)) == 0
    assert row(tenant, kept)[7:] == (fname, None)
    store_fname = fname
    with open(filestore_file(tenant, store_fname), "rb") as handle:
        assert handle.read() == PDF


def test_the_shell_rolls_back_without_commit_and_knows_only_its_models(tenant):
    _status, _headers, body = upload(tenant, [("ufile", "report.pdf", PDF)])
    attachment_id = json.loads(body)[0]["id"]
    set_storage(tenant, "db")
    assert run_shell(tenant.app.config, io.StringIO("env['ir.attachment'].force_storage()\n")) == 0
    assert row(tenant, attachment_id)[8] is None  # not committed
    assert run_shell(tenant.app.config, io.StringIO("env['res.partner']\n")) == 1


def test_the_shell_command_reads_standard_input(tenant):
    env = dict(os.environ, PYTHONPATH=STANDIN_SOURCE, ODOO_STANDIN_ALLOW_ROOT="1")
    result = subprocess.run(
        [sys.executable, "-m", "odoo_standin", "shell", "-c", tenant.app.config.rc_path,
         "-d", tenant.db, "--no-http"], input=FORCE_STORAGE, env=env, capture_output=True,
        text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_multipart_parser_keeps_file_names_and_fields():
    body, headers = multipart({"model": "res.partner"}, [("ufile", "ä.bin", b"\x00\xff")])
    form = parse_multipart(headers["Content-Type"], body)
    assert form == {"model": ["res.partner"], "ufile": [("ä.bin", b"\x00\xff")]}
    assert content_disposition("inline", "ä.bin") == "inline; filename*=UTF-8''%C3%A4.bin"
