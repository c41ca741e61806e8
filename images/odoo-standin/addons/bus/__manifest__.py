# Stand-in manifest (CONTRACT.md, "Server-wide modules and addons"): a module of
# that name exists, as in the official image; no code, data or assets.
{
    'name': 'IM Bus',
    'version': '1.0',
    'summary': 'Instant messaging bus',
    'depends': ['base', 'web'],
    'license': 'LGPL-3',
}
