# Stand-in manifest (CONTRACT.md, "Server-wide modules and addons"): a module of
# that name exists, as in the official image; no code, data or assets.
{
    'name': 'Web',
    'version': '1.0',
    'summary': 'Odoo Web core module',
    'depends': ['base'],
    'license': 'LGPL-3',
}
