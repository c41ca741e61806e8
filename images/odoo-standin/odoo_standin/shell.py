"""`odoo shell -d DB`: run the Python script read from standard input (CONTRACT.md).

Like Odoo 18.0's shell command when standard input is not a terminal, the
script runs with ``env`` (superuser) on one transaction of the database,
rolled back at the end unless the script commits. The stand-in's ``env``
knows only what the collection uses: ``env['ir.attachment'].force_storage()``
and ``env.cr.commit()`` / ``env.cr.rollback()``.
"""

import logging

from . import attachments, db

_logger = logging.getLogger("odoo.cli.shell")


class Cursor:
    def __init__(self, conn, dbname):
        self._conn = conn
        self.dbname = dbname

    def commit(self):
        self._conn.commit()

    def rollback(self):
        self._conn.rollback()


class IrAttachment:
    _name = "ir.attachment"

    def __init__(self, env):
        self.env = env

    def force_storage(self):
        """Move every attachment to the storage ir_attachment.location names."""
        with self.env.cr._conn.cursor() as cur:
            attachments.force_storage(self.env.config, self.env.cr.dbname, cur)
        return True


class Environment:
    """``env``: the models the stand-in has; any other name is a KeyError, as in Odoo."""

    MODELS = {"ir.attachment": IrAttachment}

    def __init__(self, config, cr):
        self.config = config
        self.cr = cr

    def __getitem__(self, model):
        if model not in self.MODELS:
            raise KeyError(model)
        return self.MODELS[model](self)


def run_shell(config, stdin):
    """Exit status 0 when the script ran, 1 with the error otherwise."""
    names = [n.strip() for n in (config["db_name"] or "").split(",") if n.strip()]
    if not names:
        _logger.error("odoo shell: the stand-in needs a database (-d DATABASE)")
        return 1
    script = stdin.read()
    try:
        conn = db.connect(config, names[0])
    except db.Error as exc:
        _logger.critical("Cannot connect to database %s: %s", names[0], str(exc).strip())
        return 1
    try:
        conn.autocommit = False
        env = Environment(config, Cursor(conn, names[0]))
        try:
            exec(compile(script, "<stdin>", "exec"),  # noqa: S102  what `odoo shell` does
                 {"__name__": "__main__", "env": env})
        except Exception:
            _logger.exception("odoo shell: the script failed")
            return 1
        conn.rollback()
    finally:
        conn.close()
    return 0
