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
from dataclasses import dataclass, field, replace
from pathlib import Path

from validator.spec import SEVERITY_FROM_ZH, Rule


class ProfileError(ValueError):
    """The profile file cannot be used; the message is Chinese and names the entry."""


@dataclass(frozen=True)
class RuleOverride:
    enabled: bool = True
    severity: str | None = None


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


def load_profile(path: str | Path, known_rules: set[str]) -> Profile:
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"无法读取规则配置文件 {path}：{exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"规则配置文件 {path} 不是有效的 TOML：{exc}") from None
    unknown_top = set(data) - {"rules", "deadlines", "name"}
    if unknown_top:
        raise ProfileError(f"规则配置文件 {path} 含有不认识的项：{'、'.join(sorted(unknown_top))}")
    rules: dict[str, RuleOverride] = {}
    for rule_id, entry in (data.get("rules") or {}).items():
        if rule_id not in known_rules:
            raise ProfileError(f"规则配置文件 {path}：没有编号为 {rule_id} 的规则")
        if not isinstance(entry, dict) or set(entry) - {"enabled", "severity"}:
            raise ProfileError(f"规则配置文件 {path}：[rules.{rule_id}] 只能设置 enabled 和 severity")
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ProfileError(f"规则配置文件 {path}：[rules.{rule_id}] enabled 应为 true 或 false")
        severity = entry.get("severity")
        if severity is not None:
            severity = SEVERITY_FROM_ZH.get(severity, severity)
            if severity not in ("error", "warning"):
                raise ProfileError(
                    f"规则配置文件 {path}：[rules.{rule_id}] severity 应为“错误”或“提示”，现为“{entry['severity']}”")
        rules[rule_id] = RuleOverride(enabled, severity)
    deadlines: dict[str, tuple[int, int] | None] = {}
    for body_type, value in (data.get("deadlines") or {}).items():
        if body_type not in ("政府", "部门", "乡镇"):
            raise ProfileError(f"规则配置文件 {path}：[deadlines] 的机关类型应为“政府”“部门”或“乡镇”，现为“{body_type}”")
        if value in ("", "none", None):
            deadlines[body_type] = None
            continue
        m = re.match(r"^(\d{1,2})-(\d{1,2})$", str(value))
        if not m:
            raise ProfileError(f"规则配置文件 {path}：[deadlines] {body_type} 应写成“月-日”，如 \"01-31\"")
        month_day = (int(m.group(1)), int(m.group(2)))
        try:
            dt.date(2000, *month_day)
        except ValueError:
            raise ProfileError(f"规则配置文件 {path}：[deadlines] {body_type} 的日期“{value}”不存在") from None
        deadlines[body_type] = month_day
    return Profile(rules, deadlines, str(data.get("name") or path.stem))
