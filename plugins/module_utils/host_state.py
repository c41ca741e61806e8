# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers of the host_state module: dpkg-query and systemctl show output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# systemctl show properties, and the keys host_state returns them under.
SHOW_PROPERTIES = ('Id', 'LoadState', 'ActiveState', 'SubState', 'UnitFileState')
_KEYS = {'LoadState': 'load', 'ActiveState': 'active', 'SubState': 'sub', 'UnitFileState': 'enabled'}
_UNIT_SUFFIXES = ('.service', '.timer', '.socket', '.target', '.mount', '.path', '.slice', '.scope')


def unit_name(name):
    """The unit a name means: 'etcd' is etcd.service, 'x.timer' stays x.timer."""
    return name if name.endswith(_UNIT_SUFFIXES) else name + '.service'


def parse_dpkg_query(names, output):
    """{name: installed version or None} from `dpkg-query -W -f='${Package}\\t${db:Status-Status}\\t${Version}\\n'`.

    A package dpkg knows but that is not installed (removed, config-files) counts as absent.
    Multi-arch names (foo:amd64) count for foo.
    """
    found = {}
    for line in output.splitlines():
        fields = line.split('\t')
        if len(fields) != 3:
            continue
        package, status, version = fields
        package = package.split(':', 1)[0]
        if status == 'installed':
            found[package] = version
    return dict((name, found.get(name)) for name in names)


def parse_systemctl_show(names, output):
    """{name: {load, active, sub, enabled}} from `systemctl show --property=... unit...`.

    systemctl prints one block of Key=Value lines per unit, in the order asked, blocks separated
    by an empty line; a property with no value (UnitFileState of a unit without a file) is empty.
    """
    blocks = []
    current = {}
    for line in output.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, _sep, value = line.partition('=')
        current[key] = value
    if current:
        blocks.append(current)
    by_id = dict((block.get('Id'), block) for block in blocks)
    result = {}
    for index, name in enumerate(names):
        block = by_id.get(unit_name(name)) or (blocks[index] if index < len(blocks) else {})
        result[name] = dict((key, block.get(prop, '')) for prop, key in _KEYS.items())
    return result
