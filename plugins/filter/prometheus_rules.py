# -*- coding: utf-8 -*-
# Copyright: (c) 2026, SysGenPro hosting engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Prometheus rule files: prometheus_alert_for sets the ``for:`` of named alerts,
prometheus_alerts_without leaves named alerts out, prometheus_alert_names lists the alerts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: prometheus_alert_for
short_description: Set how long named alerts of a Prometheus rule file must hold before they fire
version_added: 1.0.0
author: SysGenPro hosting engineering (@sysgenpro)
description:
  - Takes the text of a Prometheus rule file and a mapping of alert names to durations, and returns the
    file with the C(for) of each named alert set to its duration.
  - A file that names none of the alerts comes back unchanged, byte for byte (comments included); one that
    does is written again as YAML, without its comments.
  - A duration of C(0s) removes the alert's C(for) (the alert fires on the first evaluation).
options:
  _input:
    description: The rule file's text.
    type: string
    required: true
  overrides:
    description: Alert name to Prometheus duration (C(30s), C(1m), C(2h)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Install a rule file with shorter waits
  ansible.builtin.copy:
    content: "{{ lookup('ansible.builtin.file', 'rules/odoo.yml') | sysgenpro.odoo_hosting.prometheus_alert_for({'OdooLoginPageFailing': '1m'}) }}"
    dest: /etc/prometheus/rules/odoo.yml
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The rule file's text, with the named alerts' C(for) set.
  type: string
"""

import yaml

from ansible.errors import AnsibleFilterError


def _alerts(document):
    for group in (document or {}).get("groups") or []:
        for rule in group.get("rules") or []:
            if "alert" in rule:
                yield rule


def prometheus_alert_for(text, overrides):
    """Return ``text`` with the ``for`` of the alerts named in ``overrides`` set."""
    if not isinstance(overrides, dict):
        raise AnsibleFilterError("prometheus_alert_for: overrides must be a mapping of alert names to durations")
    document = yaml.safe_load(str(text))
    touched = False
    for rule in _alerts(document):
        if rule["alert"] in overrides:
            duration = str(overrides[rule["alert"]])
            if duration == "0s":
                rule.pop("for", None)
            else:
                # Keep the keys in Prometheus's order: for right after expr.
                items = [(key, value) for key, value in rule.items() if key != "for"]
                position = [key for key, _value in items].index("expr") + 1
                items.insert(position, ("for", duration))
                rule.clear()
                rule.update(items)
            touched = True
    if not touched:
        return text
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=1000)


def prometheus_alerts_without(text, names):
    """Return ``text`` without the alerts named in ``names``."""
    if isinstance(names, (str, bytes, dict)) or not hasattr(names, "__iter__"):
        raise AnsibleFilterError("prometheus_alerts_without: names must be a list of alert names")
    names = set(names)
    document = yaml.safe_load(str(text))
    if not any(rule["alert"] in names for rule in _alerts(document)):
        return text
    for group in document.get("groups") or []:
        group["rules"] = [rule for rule in group.get("rules") or [] if rule.get("alert") not in names]
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=1000)


def prometheus_alert_names(text):
    """The alert names a rule file defines, in order."""
    return [rule["alert"] for rule in _alerts(yaml.safe_load(str(text)))]


class FilterModule(object):
    def filters(self):
        return {'prometheus_alert_for': prometheus_alert_for,
                'prometheus_alerts_without': prometheus_alerts_without,
                'prometheus_alert_names': prometheus_alert_names}
