# Stand-in manifest (CONTRACT.md, "Server-wide modules and addons"): a module of
# that name exists, as in the official image; no code, data or assets.
{
    'name': 'Discuss',
    'version': '1.0',
    'summary': 'Discussions, mailing lists, news',
    'depends': ['base', 'base_setup', 'bus', 'web'],
    'license': 'LGPL-3',
}
