#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: managed_files
short_description: Keep a set of directories and files of a role in their state, in one call
version_added: 1.0.0
description:
  - Brings every entry of O(files) to its state - a directory, a file with the given content, or
    nothing - with its owner, group and mode, in one round trip to the host. A role lists its
    directories and its rendered templates (the P(ansible.builtin.template#lookup) lookup) in one
    task instead of one task per file.
  - An entry that is already as asked is left alone, so a run that changes nothing writes nothing.
  - New content is written to a temporary file beside the target, checked with O(files[].validate)
    when given, and renamed over the target, so that readers never see half a file and a refused
    file never lands.
  - Entries are handled in order; a directory listed before the files in it is created first.
options:
  files:
    description:
      - The directories and files, in the order they are brought to their state.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - Absolute path of the directory or file.
        type: path
        required: true
      state:
        description:
          - V(file) - a regular file with O(files[].content); without content, a file that must
            already exist, whose owner, group and mode only are managed (a private key made by
            another module, say).
          - V(directory) - a directory; missing parents are created as C(mkdir -p) would.
          - V(absent) - no file or empty directory there.
        type: str
        choices: [file, directory, absent]
        default: file
      content:
        description:
          - The file's content, for O(files[].state=file).
        type: str
      owner:
        description:
          - Owner (name or uid). Left as it is when not given.
        type: str
      group:
        description:
          - Group (name or gid). Left as it is when not given.
        type: str
      mode:
        description:
          - Permissions as an octal string such as V('0640'). Left as they are when not given;
            a new file is then created with V('0600') and a new directory with the umask's.
        type: str
      validate:
        description:
          - A command that checks the new content before it lands; C(%s) is replaced by the path
            of the temporary file. The file is refused when the command fails.
        type: str
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing.
  diff_mode:
    support: full
    description: Shows, for each changed entry, the content and attributes before and after.
author:
  - SysGenPro hosting engineering (@sysgenpro)
'''

EXAMPLES = r'''
- name: Write etcd's directory and settings
  sysgenpro.odoo_hosting.managed_files:
    files:
      - path: /etc/etcd/pki
        state: directory
        owner: root
        group: etcd
        mode: "0750"
      - path: /etc/default/etcd
        content: "{{ lookup('ansible.builtin.template', 'etcd.env.j2') }}"
        owner: root
        group: etcd
        mode: "0640"
  register: __etcd_files
  notify: etcd settings changed

- name: Restart only when the unit file itself changed
  ansible.builtin.systemd_service:
    name: etcd
    state: restarted
    daemon_reload: true
  when: "'/etc/systemd/system/etcd.service' in __etcd_files.changed_paths"
'''

RETURN = r'''
changed_paths:
  description: Paths whose content, existence or attributes changed (or would, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/etc/default/etcd]
files:
  description: One entry per element of O(files), in order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The path.
      type: str
    state:
      description: The state asked for.
      type: str
    changed:
      description: Whether this entry changed.
      type: bool
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.sysgenpro.odoo_hosting.plugins.module_utils.managed_files import (
    check_entries,
    describe,
)


class ManagedFiles(object):
    """Brings the entries to their state, one after the other."""

    def __init__(self, module):
        self.module = module
        self.diffs = []

    def attributes(self, entry, path):
        """File-attribute arguments of AnsibleModule for path (owner, group, mode of entry)."""
        # secontext [user, role, type] all None: the SELinux context is left as it is.
        return dict(path=path, owner=entry.get('owner'), group=entry.get('group'), mode=entry.get('mode'),
                    secontext=[None, None, None], attributes=None)

    def set_attributes(self, entry, path, changed):
        """Applies owner, group and mode (honouring check mode); returns whether any changed."""
        return self.module.set_fs_attributes_if_different(self.attributes(entry, path), changed)

    def record(self, entry, before, after):
        if self.module._diff:
            self.diffs.append(dict(before_header=entry['path'], after_header=entry['path'],
                                   before=before, after=after))

    def directory(self, entry):
        path = entry['path']
        if os.path.lexists(path) and not os.path.isdir(path):
            self.module.fail_json(msg="Cannot make %s a directory: something else is there" % path)
        created = False
        before = describe(self.stat(path)) if os.path.isdir(path) else describe(None)
        if not os.path.isdir(path):
            if not self.module.check_mode:
                try:
                    os.makedirs(path)
                except OSError as exc:
                    self.module.fail_json(msg="Cannot create the directory %s: %s" % (path, to_native(exc)))
            created = True
        changed = created
        if os.path.isdir(path):
            changed = self.set_attributes(entry, path, changed)
        if changed:
            self.record(entry, before, describe(entry))
        return changed

    def absent(self, entry):
        path = entry['path']
        if not os.path.lexists(path):
            return False
        before = describe(self.stat(path) if os.path.exists(path) else None)
        if not self.module.check_mode:
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    os.rmdir(path)
                else:
                    os.unlink(path)
            except OSError as exc:
                self.module.fail_json(msg="Cannot remove %s: %s" % (path, to_native(exc)))
        self.record(entry, before, '')
        return True

    def stat(self, path):
        st = os.stat(path)
        return {'mode': '%04o' % (st.st_mode & 0o7777), 'uid': st.st_uid, 'gid': st.st_gid}

    def file(self, entry):
        path = entry['path']
        if os.path.isdir(path):
            self.module.fail_json(msg="Cannot write the file %s: a directory is there" % path)
        if entry.get('content') is None:
            if not os.path.exists(path):
                if self.module.check_mode:
                    # An earlier task of the run would have made it.
                    return True
                self.module.fail_json(msg="Cannot set the attributes of %s: it does not exist" % path)
            before = describe(self.stat(path))
            changed = self.set_attributes(entry, path, False)
            if changed:
                self.record(entry, before, describe(entry))
            return changed
        wanted = to_bytes(entry['content'], errors='surrogate_or_strict')
        current = None
        attributes = None
        if os.path.exists(path):
            attributes = describe(self.stat(path))
            with open(path, 'rb') as handle:
                current = handle.read()
        content_changed = current != wanted
        if content_changed and not self.module.check_mode:
            self.write(entry, wanted)
        changed = content_changed
        if os.path.exists(path):
            changed = self.set_attributes(entry, path, changed)
        if content_changed:
            before = '' if current is None else to_native(current, errors='surrogate_or_replace')
            self.record(entry, before, entry['content'])
        elif changed:
            self.record(entry, attributes, describe(entry))
        return changed

    def write(self, entry, wanted):
        path = entry['path']
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            self.module.fail_json(msg="Cannot write %s: the directory %s does not exist" % (path, directory))
        fd, temporary = tempfile.mkstemp(prefix='.managed_files.', dir=directory)
        try:
            with os.fdopen(fd, 'wb') as handle:
                handle.write(wanted)
            # The temporary file (0600 from mkstemp) takes the attributes the target is to have
            # before it is checked and renamed: those the entry gives, the others the current
            # target's. New content is never readable by others, not even briefly (a file whose
            # mode is being narrowed never shows its new content under the old mode), and a
            # validator running as another user reads it as the target will be read.
            if os.path.exists(path):
                current = os.stat(path)
                os.chown(temporary, current.st_uid if entry.get('owner') is None else -1,
                         current.st_gid if entry.get('group') is None else -1)
                if entry.get('mode') is None:
                    os.chmod(temporary, current.st_mode & 0o7777)
            self.module.set_fs_attributes_if_different(self.attributes(entry, temporary), True)
            if entry.get('validate'):
                rc, out, err = self.module.run_command(entry['validate'] % temporary)
                if rc != 0:
                    self.module.fail_json(msg="Cannot write %s: %s refused it: %s" % (
                        path, entry['validate'].split()[0], (err or out).strip()), rc=rc)
            os.rename(temporary, path)
        except OSError as exc:
            self.module.fail_json(msg="Cannot write %s: %s" % (path, to_native(exc)))
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def run(self, entries):
        results = []
        for entry in entries:
            handler = {'directory': self.directory, 'absent': self.absent, 'file': self.file}[entry['state']]
            results.append(dict(path=entry['path'], state=entry['state'], changed=handler(entry)))
        return results


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type='list', elements='dict', required=True, options=dict(
                path=dict(type='path', required=True),
                state=dict(type='str', choices=['file', 'directory', 'absent'], default='file'),
                content=dict(type='str'),
                owner=dict(type='str'),
                group=dict(type='str'),
                mode=dict(type='str'),
                validate=dict(type='str'),
            )),
        ),
        supports_check_mode=True,
    )
    problems = check_entries(module.params['files'])
    if problems:
        module.fail_json(msg="Cannot manage the files: " + "; ".join(problems))
    manager = ManagedFiles(module)
    results = manager.run(module.params['files'])
    changed_paths = [result['path'] for result in results if result['changed']]
    extra = dict(diff=manager.diffs) if module._diff and manager.diffs else {}
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths, files=results, **extra)


if __name__ == '__main__':
    main()
