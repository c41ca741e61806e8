"""Wait until PostgreSQL accepts a login (the official image's wait-for-psql.py step).

Usage: python3 -m odoo_standin.wait_for_db --db_host H --db_port P --db_user U
       --db_password PW [--timeout SECONDS]
"""

import argparse
import sys
import time

from . import db


class _Config:
    def __init__(self, args):
        self.options = {"db_sslmode": "prefer"}
        self.args = args

    def db_connect_kwargs(self, dbname):
        return {"dbname": dbname, "host": self.args.db_host, "port": self.args.db_port,
                "user": self.args.db_user, "password": self.args.db_password}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="wait_for_db")
    for name in ("db_host", "db_port", "db_user", "db_password"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--timeout", type=int, default=30)
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.timeout
    error = ""
    while time.monotonic() < deadline:
        try:
            db.connect(_Config(args), "postgres").close()
            return 0
        except db.Error as exc:
            error = str(exc).strip()
            time.sleep(1)
    sys.stderr.write("Database connection failure: %s\n" % error)
    return 1


if __name__ == "__main__":
    sys.exit(main())
