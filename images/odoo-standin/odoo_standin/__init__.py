"""A small stand-in for the Odoo server, for tests where the official image is unavailable.

It honours the contract written in images/odoo-standin/CONTRACT.md and nothing more.
"""

VERSION = "18.0"
STANDIN_RELEASE = "1"
