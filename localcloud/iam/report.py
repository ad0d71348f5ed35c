"""The least-privilege report of one or more local-cloud runs, as IAM Access Analyzer's policy
generation reads CloudTrail: per role, the actions it used and on what, the grants it never used,
and the calls it was denied.

Each local cloud writes its decisions and its roles' grants to `<output_dir>/iam-decisions.json`
(`Enforcer.write_log`); `python -m localcloud iam-report DIR...` reads every such file under the
given folders, so a report can cover the demo and a whole test suite. A grant is one action pattern
of one statement (`role / policy [Sid] action`). A grant kept although no run uses it needs a
written reason in the template, in the Metadata of the role (or of the SAM function that owns the
generated role): `GrantsNotUsedLocally: {<Sid>: <reason>}`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOG_NAME = "iam-decisions.json"


@dataclass(frozen=True)
class GrantLine:
    role: str  # the role's logical id in the template
    policy: str
    sid: str
    action: str  # one action pattern of the statement
    resources: tuple[str, ...]
    reason: str  # why it is kept although unused ("" when none is written)


@dataclass
class RoleReport:
    role: str
    used: Counter[tuple[str, str]] = field(default_factory=Counter)  # (action, resource) -> calls
    unused: list[GrantLine] = field(default_factory=list)
    denied: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (action, resource, why)
    expected_denied: int = 0


@dataclass
class Report:
    roles: dict[str, RoleReport]
    logs: int

    @property
    def denied(self) -> int:
        return sum(sum(r.denied.values()) for r in self.roles.values())

    @property
    def unused_without_reason(self) -> list[GrantLine]:
        return [g for r in self.roles.values() for g in r.unused if not g.reason]

    def summary(self) -> dict[str, int]:
        return {
            "runs": self.logs,
            "roles": len(self.roles),
            "actions_used": len({(r.role, a) for r in self.roles.values() for a, _ in r.used}),
            "grants_unused": sum(len(r.unused) for r in self.roles.values()),
            "grants_unused_without_reason": len(self.unused_without_reason),
            "calls_denied": self.denied,
        }

    def markdown(self) -> str:
        lines = ["# IAM least-privilege report", ""]
        lines += [f"- {k.replace('_', ' ')}: {v}" for k, v in self.summary().items()]
        for name in sorted(self.roles):
            role = self.roles[name]
            lines += ["", f"## {name}", "", "Used:"]
            by_action: dict[str, Counter[str]] = defaultdict(Counter)
            for (action, resource), count in role.used.items():
                by_action[action][resource] += count
            for action in sorted(by_action):
                resources = ", ".join(sorted(by_action[action]))
                lines.append(f"- `{action}` on {resources} ({sum(by_action[action].values())} calls)")
            if role.unused:
                lines += ["", "Granted, never used:"]
                for grant in role.unused:
                    why = f" (kept: {grant.reason})" if grant.reason else " (NO REASON WRITTEN)"
                    lines.append(f"- `{grant.action}` [{grant.sid}] on {', '.join(grant.resources)}{why}")
            if role.denied:
                lines += ["", "Denied:"]
                for (action, resource, why), count in sorted(role.denied.items()):
                    lines.append(f"- `{action}` on {resource} {why} ({count} calls)")
        return "\n".join(lines) + "\n"


def build(
    logs: Iterable[Mapping[str, Any]], reasons: Mapping[str, Mapping[str, str]] | None = None
) -> Report:
    """Union of the runs: a grant is unused when no run used it. `reasons` (role -> {Sid or policy
    name: why}, from the template as it is now) override the ones the runs recorded."""
    roles: dict[str, RoleReport] = {}
    grants: dict[tuple[str, str, str, str], GrantLine] = {}
    used_grants: set[tuple[str, str, str, str]] = set()
    count = 0
    for log in logs:
        count += 1
        for raw in log.get("grants", []):
            line = GrantLine(
                raw["role"],
                raw["policy"],
                raw["sid"],
                raw["action"],
                tuple(raw["resources"]),
                written_reason(reasons, raw) if reasons is not None else raw.get("reason", ""),
            )
            grants.setdefault((line.role, line.policy, line.sid, line.action), line)
        for decision in log.get("decisions", []):
            role = roles.setdefault(decision["role"], RoleReport(decision["role"]))
            if decision["allowed"]:
                role.used[(decision["action"], decision["resource"])] += decision["count"]
                for grant in decision.get("grants", []):
                    used_grants.add((decision["role"], grant["policy"], grant["sid"], grant["action"]))
            elif decision.get("expected"):
                role.expected_denied += decision["count"]
            else:
                role.denied[(decision["action"], decision["resource"], decision["reason"])] += decision[
                    "count"
                ]
    for key, line in grants.items():
        if key not in used_grants:
            roles.setdefault(line.role, RoleReport(line.role)).unused.append(line)
    for role in roles.values():
        role.unused.sort(key=lambda g: (g.policy, g.sid, g.action))
    return Report(roles, count)


def read_logs(folders: Iterable[Path], template: Path | None = None) -> list[dict[str, Any]]:
    """Every log under the folders; with `template`, only the runs of that template (test
    fixtures' own templates are left out of the project's report)."""
    found: list[dict[str, Any]] = []
    wanted = str(template.resolve()) if template is not None else None
    for folder in folders:
        paths = [folder] if folder.is_file() else sorted(folder.rglob(LOG_NAME))
        for path in paths:
            log = json.loads(path.read_text(encoding="utf-8"))
            if wanted is None or log.get("template") == wanted:
                found.append(log)
    return found


def grant_reasons(template: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Role logical id -> {Sid: why it is kept}: from `Metadata.GrantsNotUsedLocally` of the role, or
    of the SAM function whose generated role is `<Function>Role`."""
    reasons: dict[str, dict[str, str]] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        written = (resource.get("Metadata") or {}).get("GrantsNotUsedLocally")
        if not isinstance(written, Mapping):
            continue
        role = logical_id if resource.get("Type") == "AWS::IAM::Role" else f"{logical_id}Role"
        reasons.setdefault(role, {}).update({str(k): str(v) for k, v in written.items()})
    return reasons


def written_reason(reasons: Mapping[str, Mapping[str, str]], grant: Mapping[str, Any]) -> str:
    """The reason for a grant: by `<policy>/<Sid>`, by policy name (SAM's generated policies have
    index Sids), or by Sid."""
    written = reasons.get(grant["role"], {})
    policy = str(grant["policy"]).split(" ", 1)[-1]
    sid = str(grant["sid"])
    return (
        written.get(f"{policy}/{sid}")
        or written.get(policy)
        or ("" if sid.isdigit() else written.get(sid, ""))
    )


def template_reasons(template: Path) -> dict[str, dict[str, str]]:
    """`grant_reasons` of the template file as it is now (short intrinsics read as samtranslator does)."""
    from samtranslator.yaml_helper import yaml_parse

    return grant_reasons(yaml_parse(template.read_text(encoding="utf-8")))
