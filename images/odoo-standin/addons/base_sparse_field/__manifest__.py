# Stand-in manifest (CONTRACT.md, "Server-wide modules and addons"): a module of
# that name exists, as in the official image; no code, data or assets.
# OCA's queue_job depends on it.
{
    'name': 'Sparse Fields',
    'version': '1.0',
    'depends': ['base'],
    'license': 'LGPL-3',
}
