"""Attachments stored as Odoo 18.0's ir.attachment stores them (CONTRACT.md, "Attachments").

The system parameter ``ir_attachment.location`` says where new content goes:
``file`` (the default) writes ``<data_dir>/filestore/<db>/<sha1[:2]>/<sha1>``
and keeps ``store_fname = '<sha1[:2]>/<sha1>'``; ``db`` keeps the bytes in
``db_datas``. The filestore is local to each host: a ``file`` attachment
written on another host is not found here.
"""

import hashlib
import logging
import mimetypes
import os

from . import db

_logger = logging.getLogger("odoo.addons.base.models.ir_attachment")


class NotFound(Exception):
    """No attachment with that id (Odoo's MissingError, a 404 on /web/content)."""


def filestore(config, dbname):
    """``<data_dir>/filestore/<dbname>``, as Odoo's config.filestore()."""
    return os.path.join(config["data_dir"], "filestore", dbname)


def full_path(config, dbname, store_fname):
    """The file of ``store_fname``; dots and leading slashes are dropped, as Odoo does."""
    cleaned = store_fname.replace(".", "").strip("/\\")
    return os.path.join(filestore(config, dbname), cleaned)


def storage(cur):
    """``ir_attachment.location``, default ``file``."""
    cur.execute("SELECT value FROM ir_config_parameter WHERE key = 'ir_attachment.location'")
    row = cur.fetchone()
    return row[0] if row and row[0] else "file"


def file_write(config, dbname, data, checksum):
    """Write ``data`` under its checksum (never over an existing file); return store_fname."""
    fname = "%s/%s" % (checksum[:2], checksum)
    path = full_path(config, dbname, fname)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        with open(path, "wb") as handle:
            handle.write(data)
    return fname


def file_read(config, dbname, store_fname):
    """The file's bytes; a missing file reads as b'' with an info line, as Odoo's _file_read."""
    path = full_path(config, dbname, store_fname)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        _logger.info("_read_file reading %s", path, exc_info=True)
    return b""


def _stored_values(config, dbname, cur, data):
    """checksum, file_size, store_fname, db_datas for ``data`` in the current storage."""
    checksum = hashlib.sha1(data).hexdigest()
    values = {"checksum": checksum, "file_size": len(data), "store_fname": None,
              "db_datas": data}
    if data and storage(cur) != "db":
        values["store_fname"] = file_write(config, dbname, data, checksum)
        values["db_datas"] = None
    return values


def guess_mimetype(name):
    return mimetypes.guess_type(name or "")[0] or "application/octet-stream"


def create(config, dbname, name, data, res_model, res_id):
    """Insert an attachment with ``data``; return {id, name, mimetype, file_size}."""
    conn = db.connect(config, dbname)
    try:
        conn.autocommit = False
        with conn.cursor() as cur:
            values = _stored_values(config, dbname, cur, data)
            mimetype = guess_mimetype(name)
            cur.execute("""
                INSERT INTO ir_attachment (name, res_model, res_id, type, mimetype, file_size,
                                           checksum, store_fname, db_datas)
                VALUES (%s, %s, %s, 'binary', %s, %s, %s, %s, %s) RETURNING id""",
                        (name, res_model, res_id, mimetype, values["file_size"],
                         values["checksum"], values["store_fname"], values["db_datas"]))
            attachment_id = cur.fetchone()[0]
        conn.commit()
    finally:
        conn.close()
    return {"id": attachment_id, "name": name, "mimetype": mimetype,
            "file_size": values["file_size"]}


def read(config, dbname, attachment_id):
    """(name, mimetype, checksum, public, bytes) of an attachment, as /web/content streams it.

    NotFound when there is no such attachment. A ``file`` attachment whose
    file is missing on this host raises FileNotFoundError: Odoo 18.0's
    Stream.from_attachment stats the file, and the request fails with 500.
    """
    try:
        rows = db.query(config, dbname, """
            SELECT name, mimetype, checksum, public, store_fname, db_datas
              FROM ir_attachment WHERE id = %s""", (attachment_id,))
    except db.Error as exc:
        if db.table_missing(exc):
            raise db.NotInitialized(dbname) from None
        raise
    if not rows:
        raise NotFound(attachment_id)
    name, mimetype, checksum, public, store_fname, db_datas = rows[0]
    if store_fname:
        path = full_path(config, dbname, store_fname)
        os.stat(path)  # FileNotFoundError here, as in Odoo
        with open(path, "rb") as handle:
            data = handle.read()
    else:
        data = bytes(db_datas or b"")
    return name, mimetype or "application/octet-stream", checksum, bool(public), data


def force_storage(config, dbname, cur):
    """Move every attachment to the storage ``ir_attachment.location`` names.

    As Odoo's force_storage (_migrate): each attachment with content in a
    file or in db_datas is rewritten with its own bytes in the current
    storage. To ``db``, a file missing on this host reads as b'' (logged),
    so that attachment is left empty. Old files are left for Odoo's garbage
    collector (the stand-in has none). Returns the number moved.
    """
    target = storage(cur)
    cur.execute("""
        SELECT id, store_fname, db_datas FROM ir_attachment
         WHERE store_fname IS NOT NULL OR db_datas IS NOT NULL ORDER BY id""")
    rows = cur.fetchall()
    for index, (attachment_id, store_fname, db_datas) in enumerate(rows, 1):
        _logger.debug("Migrate attachment %s/%s to %s", index, len(rows), target.upper())
        if store_fname:
            data = file_read(config, dbname, store_fname)
        else:
            data = bytes(db_datas or b"")
        values = _stored_values(config, dbname, cur, data)
        cur.execute("""
            UPDATE ir_attachment
               SET checksum = %s, file_size = %s, store_fname = %s, db_datas = %s,
                   write_date = now() at time zone 'UTC'
             WHERE id = %s""", (values["checksum"], values["file_size"],
                                values["store_fname"], values["db_datas"], attachment_id))
    return len(rows)
