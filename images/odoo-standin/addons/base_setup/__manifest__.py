# Stand-in manifest (CONTRACT.md, "Server-wide modules and addons"): a module of
# that name exists, as in the official image; no code, data or assets.
{
    'name': 'Initial Setup Tools',
    'version': '1.0',
    'summary': 'Initial setup tools',
    'depends': ['base', 'web'],
    'license': 'LGPL-3',
}
