"""One collect run as a service: a :class:`CollectRequest` in, the result and what to tell
the user out. ``xxgk collect``, the board and the Excel 汇总 button all build a request and
call :func:`run_collect` (through :func:`validator.api.collect`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from validator.collect.aggregate import aggregate_report, aggregate_submission, workbook_path, write_aggregate
from validator.collect.archive import Archive
from validator.collect.result import dumps_result, result_dict
from validator.collect.roster import load_roster
from validator.collect.run import BAD_STATUSES, TOTAL, UNREADABLE, CollectResult, Options, collect
from validator.collect.workbook import write_collect_workbook
from validator.errors import UnusableInput
from validator.fileio import atomic_write_bytes, distinct_output
from validator.formats import get_format
from validator.profile import Profile

BODY_TYPES = ("政府", "部门", "乡镇")


@dataclass
class CollectRequest:
    """What ``xxgk collect`` is asked to do; every path is a plain file or folder name."""

    inbox: str | Path
    out: str | Path
    """The 汇总 workbook (.xlsx)."""
    json: str | Path | None = None
    year: int | None = None
    last_year: str | Path | None = None
    """A folder of last year's submissions (else the archive, when given)."""
    roster: str | Path | None = None
    db: str | Path | None = None
    as_name: str | None = None
    as_type: str | None = None
    aggregate: str | Path | None = None
    include_failed: bool = False
    published: bool = False
    body_type: str | None = None
    """``--published`` without a roster type: the 机关类型 of every published report."""
    profile: Profile = field(default_factory=Profile)


@dataclass
class Collected:
    result: CollectResult
    lines: list[str]
    """What to tell the user besides the summary line (outputs written, archive, notes)."""


def check_request(req: CollectRequest) -> None:
    """Refuse (exit 2) a request that cannot run or would overwrite an input."""
    trio = (req.as_name, req.as_type, req.aggregate)
    if any(trio) and not all(trio):
        raise UnusableInput("--as、--type 与 --aggregate 需同时给出（汇总报告的机关名称、类型和输出文件）")
    if req.as_name is not None and not req.as_name.strip():
        raise UnusableInput("--as 的机关名称不能为空")
    if req.as_type is not None and req.as_type not in BODY_TYPES:
        raise UnusableInput(f"汇总报告的机关类型应为 {'、'.join(BODY_TYPES)} 之一", code="bad-argument")
    if req.body_type is not None and req.body_type not in BODY_TYPES:
        raise UnusableInput(f"主体类型应为 {'、'.join(BODY_TYPES)} 之一", code="bad-argument")
    if req.body_type is not None and not req.published:
        raise UnusableInput(
            "主体类型（--body-type）只与 --published 同用（工作簿和 JSON 的封面已有主体类型）", code="bad-argument"
        )
    if not Path(req.inbox).is_dir():
        raise UnusableInput("收件文件夹不存在或不是文件夹", where=str(req.inbox))
    if req.last_year and not Path(req.last_year).is_dir():
        raise UnusableInput("上年文件夹不存在或不是文件夹", where=str(req.last_year))
    outputs = _outputs(req)
    resolved = [Path(o).resolve() for o in outputs]
    if len(set(resolved)) != len(resolved):
        raise UnusableInput("输出文件不能重名（-o、--json、--aggregate 及其旁边的 .xlsx）")
    inputs = [req.roster, *(_archive_files(req.db) if req.db else ())]
    for o in outputs:
        distinct_output(o, *inputs)
        if not Path(o).resolve().parent.is_dir():
            raise UnusableInput("输出文件所在的文件夹不存在", where=str(o))


def _outputs(req: CollectRequest) -> list[str | Path]:
    outputs = [o for o in (req.out, req.json, req.aggregate) if o]
    if req.aggregate:
        outputs.append(workbook_path(req.aggregate))
    return outputs


def _archive_files(db: str | Path) -> list[str]:
    return [str(db), *(f"{db}{suffix}" for suffix in ("-wal", "-shm", "-journal"))]


def _exclude(req: CollectRequest) -> set[Path]:
    """Our own outputs are never read back as submissions, even inside the inbox."""
    names = [*_outputs(req), *(_archive_files(req.db) if req.db else ())]
    return {Path(n).resolve() for n in names}


def run_collect(req: CollectRequest, progress: Callable[[int, int], None] | None = None) -> Collected:
    """The whole run: check the request, read and judge the inbox, write every output, archive."""
    check_request(req)
    archive = Archive.open(req.db) if req.db else None  # a corrupt database stops here, untouched
    roster = load_roster(req.roster) if req.roster else None
    options = Options(
        year=req.year,
        include_failed=req.include_failed,
        roster=roster,
        last_year_dir=Path(req.last_year) if req.last_year else None,
        last_year_lookup=archive.last_year_lookup if archive and not req.last_year else None,
        exclude=_exclude(req),
        progress=progress,
        published=req.published,
        body_type=req.body_type,
        profile=req.profile,
    )
    result = collect(Path(req.inbox), options)
    lines = _write_outputs(req, result)
    if archive is not None:
        added = archive.store(result)
        lines.append(f"已归档：新增 {added} 份报告（{req.db}）")
    return Collected(result, lines)


def _write_outputs(req: CollectRequest, result: CollectResult) -> list[str]:
    return write_outputs(
        result,
        req.out,
        json=req.json,
        aggregate=req.aggregate,
        as_name=req.as_name,
        as_type=req.as_type,
        last_year_given=bool(req.last_year or req.db),
    )


def write_outputs(
    result: CollectResult,
    out: str | Path,
    *,
    json: str | Path | None = None,
    aggregate: str | Path | None = None,
    as_name: str | None = None,
    as_type: str | None = None,
    last_year_given: bool = True,
) -> list[str]:
    """The 汇总 workbook, and the JSON and the aggregate when asked for (``collect`` and the
    board's ``xxgk archive summary`` alike); returns what to tell the user."""
    lines = []
    if aggregate:
        assert as_name is not None and as_type is not None

        total = result.totals[TOTAL]
        sub = aggregate_submission(
            total.figures,
            as_name.strip(),
            as_type,
            result.year,
            last_year=total.last_year,
            fmt=get_format(result.format_id),
            members=tuple(b.name for b in total.bodies),
        )
        report = aggregate_report(sub)
        xlsx = write_aggregate(sub, report, str(aggregate))
        lines.append(f"已生成汇总报告：{aggregate}、{xlsx}（{report.summary_zh()}）")
        if total.last_year is None and total.bodies and not last_year_given:
            lines.append("汇总报告的上年数据未填：没有给出上年报告（--last-year 或 --db）")
        elif total.last_year is None and total.bodies:
            missing = total.last_year_missing
            lines.append(
                f"汇总报告的上年数据未填：{len(missing)} 个计入汇总的单位没有可用的上年报告"
                f"（{'、'.join(missing[:5])}{'等' if len(missing) > 5 else ''}），上年合计不完整"
            )
    write_collect_workbook(result, out)
    if json:
        atomic_write_bytes(json, dumps_result(result_dict(result)).encode("utf-8"))
    return lines


SUMMARY_NAMES = 3
"""Names the summary line gives per status before 等."""


def summary_line(result: CollectResult) -> str:
    """One line: the counts by status, and for each status that needs the office's attention
    (有错误, 无法读取, 未报送, 重复报送, 年度不符) which units or files, briefly."""
    names: dict[str, list[str]] = {}
    for body in result.bodies:
        names.setdefault(body.status, []).append(body.name)
    names[UNREADABLE] = [item.rel for item in result.unreadable]
    parts = []
    for status, count in result.status_counts().items():
        if not count:
            continue
        listed = names.get(status, []) if status in BAD_STATUSES else []
        shown = "、".join(listed[:SUMMARY_NAMES]) + ("等" if len(listed) > SUMMARY_NAMES else "")
        parts.append(f"{status} {count}" + (f"（{shown}）" if shown else ""))
    year = f"{result.year} 年度，" if result.year else ""
    return f"{year}共 {len(result.items)} 个文件、{len(result.bodies)} 个单位：{'，'.join(parts) or '没有报送文件'}"
