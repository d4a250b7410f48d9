"""Rule profiles: switch a rule off or change its severity without touching code.

A profile is a TOML file, as regulators ship rule packages::

    # 本地区要求：结转不一致只作提示；不检查第五部分用语
    [rules.XY-T3-CARRY]
    severity = "提示"        # or "warning"; "错误" / "error"

    [rules.SEC5-CONTENT]
    enabled = false

    [deadlines]
    "乡镇" = "02-20"        # 本地规定的乡镇报告发布期限（月-日）
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

from validator.spec import SEVERITY_FROM_ZH, FormatSpec, Rule, Severity


class ProfileError(ValueError):
    """The profile file cannot be used; the message is Chinese and names the entry."""


@dataclass(frozen=True)
class RuleOverride:
    enabled: bool = True
    severity: Severity | None = None


@dataclass(frozen=True)
class Profile:
    rules: dict[str, RuleOverride] = field(default_factory=dict)
    deadlines: dict[str, tuple[int, int] | None] = field(default_factory=dict)
    name: str = "默认"

    def apply(self, rule: Rule) -> Rule | None:
        override = self.rules.get(rule.id)
        if override is None:
            return rule
        if not override.enabled:
            return None
        if override.severity and override.severity != rule.severity:
            return replace(rule, severity=override.severity)
        return rule

    def rules_in_force(self, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        """`rules` as this profile leaves them (switched off ones left out), in order; the
        default profile leaves them as they are (no call per rule and report)."""
        if not self.rules:
            return rules
        return tuple(r for r in map(self.apply, rules) if r is not None)


def _line_of(text: str, *path: str) -> str:
    """“（第 N 行）” for an entry, so staff can find it (tomllib reports positions only for
    syntax errors): the line that sets or opens path[0], then path[1] below it, and so on."""
    lines = text.splitlines()
    start, found = 0, 0
    for name in path:
        for number in range(start, len(lines)):
            stripped = lines[number].strip().lstrip("[").strip()
            if any(
                stripped.startswith(form) and stripped[len(form) :].lstrip()[:1] in ("=", "]", ".")
                for form in (name, f'"{name}"', f"'{name}'")
            ):
                start, found = number + 1, number + 1
                break
    return f"（第 {found} 行）" if found else ""


def load_profile(path: str | Path, fmt: FormatSpec) -> Profile:
    """Read and check a whole profile now, so a bad entry is exit 2 naming it, never a crash
    later in a rule (a deadline of 02-29 would only fail in a year before a non-leap year).
    Rule ids and body types are the format's (the report's format, or ``--format``)."""
    import tomllib

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ProfileError(f"无法读取规则配置文件 {path}：{exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"规则配置文件 {path} 不是有效的 TOML：{exc}") from None

    def fail(message: str, *names: str) -> ProfileError:
        return ProfileError(f"规则配置文件 {path}{_line_of(text, *names)}：{message}")

    unknown_top = set(data) - {"rules", "deadlines", "name"}
    if unknown_top:
        raise fail(
            f"含有不认识的项：{'、'.join(sorted(unknown_top))}（只能有 [rules.规则编号]、[deadlines] 和 name）",
            sorted(unknown_top)[0],
        )
    for table in ("rules", "deadlines"):
        if not isinstance(data.get(table, {}), dict):
            raise fail(
                f"{table} 应写成表，如 [{table}{'.XY-T3-CARRY' if table == 'rules' else ''}]，"
                f"现为 {_toml_kind(data[table])}",
                table,
            )
    if not isinstance(data.get("name", ""), str):
        raise fail(f"name 应为文字，现为 {_toml_kind(data['name'])}", "name")
    known_rules = {r.id for r in fmt.rules}
    body_types = fmt.cell("body.type").choices
    rules = {
        rule_id: _rule_override(rule_id, entry, known_rules, fail) for rule_id, entry in data.get("rules", {}).items()
    }
    deadlines = {
        body_type: _deadline(body_type, value, body_types, fail)
        for body_type, value in data.get("deadlines", {}).items()
    }
    return Profile(rules, deadlines, data.get("name") or path.stem)


def _toml_kind(value: object) -> str:
    kinds = {bool: "true/false", int: "整数", float: "小数", str: "文字", list: "数组", dict: "表"}
    return next((zh for t, zh in kinds.items() if isinstance(value, t)), type(value).__name__)


def _rule_override(
    rule_id: str, entry: object, known_rules: set[str], fail: Callable[..., ProfileError]
) -> RuleOverride:
    where = f"[rules.{rule_id}]"
    if rule_id not in known_rules:
        raise fail(f"没有编号为 {rule_id} 的规则", f"rules.{rule_id}")
    if not isinstance(entry, dict) or set(entry) - {"enabled", "severity"}:
        raise fail(f"{where} 只能设置 enabled 和 severity", f"rules.{rule_id}")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail(f"{where} enabled 应为 true 或 false", f"rules.{rule_id}", "enabled")
    severity = entry.get("severity")
    if severity is not None:
        severity = SEVERITY_FROM_ZH.get(severity, severity) if isinstance(severity, str) else None
        if severity not in ("error", "warning"):
            raise fail(
                f"{where} severity 应为“错误”或“提示”，现为“{entry['severity']}”", f"rules.{rule_id}", "severity"
            )
    return RuleOverride(enabled, cast(Severity | None, severity))


def _deadline(
    body_type: str, value: object, body_types: tuple[str, ...], fail: Callable[..., ProfileError]
) -> tuple[int, int] | None:
    where = f"[deadlines] {body_type}"
    if body_type not in body_types:
        allowed = "".join(f"“{t}”" for t in body_types[:-1]) + f"或“{body_types[-1]}”"
        raise fail(f"[deadlines] 的机关类型应为{allowed}，现为“{body_type}”", "deadlines", body_type)
    if value in ("", "none"):
        return None
    m = re.match(r"^(\d{1,2})-(\d{1,2})$", value) if isinstance(value, str) else None
    if not m:
        shown = f"“{value}”" if isinstance(value, str) else f"{_toml_kind(value)} {value}"
        raise fail(f'{where} 应写成“月-日”的文字，如 "01-31"，现为{shown}', "deadlines", body_type)
    month, day = int(m.group(1)), int(m.group(2))
    if (month, day) == (2, 29):
        raise fail(f'{where} 为 2 月 29 日，平年没有这一天；请改为 "02-28" 或 "03-01"', "deadlines", body_type)
    try:
        dt.date(2001, month, day)  # a non-leap year: the date must exist every year
    except ValueError:
        raise fail(f"{where} 的日期“{value}”不存在", "deadlines", body_type) from None
    return month, day
