{
    "name": "HTTP sessions in Redis (Sentinel)",
    "summary": "Odoo's HTTP sessions in Redis, found through a Sentinel, with ACL logins and TLS",
    "description": "Load server-wide and set ODOO_SESSION_REDIS=1; see docs/app-tier.md of "
                   "the sysgenpro.odoo_hosting collection.",
    # No series prefix: Odoo adds its own, so one tree loads on 17.0 and 18.0.
    "version": "1.0.0",
    "license": "LGPL-3",
    "author": "SysGenPro",
    "category": "Hidden/Tools",
    "depends": ["base", "web"],
    "external_dependencies": {"python": ["redis"]},
    "data": [],
    "installable": True,
    "auto_install": False,
    "post_load": "post_load",
}
