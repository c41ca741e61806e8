# Stand-in manifest (CONTRACT.md, "Server-wide modules and addons"): a module of
# that name exists, as in the official image; no code, data or assets.
{
    'name': 'Base',
    'version': '1.3',
    'summary': 'The kernel of Odoo, needed for all installation.',
    'depends': [],
    'license': 'LGPL-3',
}
