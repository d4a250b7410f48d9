"""The collect run as data: read the inbox, match bodies, find duplicates, cross-year, 汇总.

:func:`collect` returns a :class:`CollectResult`; the workbook, JSON, aggregate and archive
writers only render it. Nothing here writes files.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from pathlib import Path

from validator import accel
from validator.collect.bodies import BodyIndex, Identity, code_key, name_key
from validator.collect.inbox import Item, canonical, discover, read_item, unlisted_item
from validator.collect.roster import RosterEntry
from validator.credit_code import problem
from validator.engine import validate
from validator.formats import get_format
from validator.kinds import KINDS
from validator.profile import Profile
from validator.readers import is_published
from validator.report import ValidationReport
from validator.spec import FormatSpec
from validator.submission import Submission

PASSED, WARNED, FAILED, UNREADABLE = "通过", "有提示", "有错误", "无法读取"
MISSING, DUPLICATE, LATE, WRONG_YEAR = "未报送", "重复报送", "逾期", "年度不符"
NOT_ON_ROSTER = "不在名单"
NAMESAKE = "与其他单位同名"
"""Two bodies under one visible name, told apart only by their (valid, different) credit codes."""
CODES_DIFFER = "代码与名单不同"
OTHER_FORMAT = "格式与多数报告不同，未计入汇总"
"""The 汇总 is kept in one format's keys; a report in another cannot be added cell by cell."""
"""A file matched to a roster row by its name whose credit or region code is not the row's."""
STATUSES = (PASSED, WARNED, FAILED, UNREADABLE, MISSING, DUPLICATE, LATE, WRONG_YEAR)
BAD_STATUSES = frozenset({FAILED, UNREADABLE, MISSING, DUPLICATE, WRONG_YEAR})
"""A body or file in one of these makes the run end with exit code 1."""
MAX_DIFFERENCES = 20


@dataclass
class Difference:
    key: str
    label: str
    values: tuple[str, ...]
    """The cell's content in each version, in the order of :attr:`Body.versions`."""


@dataclass
class Body:
    identity: Identity
    roster: RosterEntry | None = None
    items: list[Item] = field(default_factory=list)
    """Every readable file matched to this body (any year)."""
    versions: list[Item] = field(default_factory=list)
    """The distinct contents for the collect year (identical copies once)."""
    wrong_year: list[Item] = field(default_factory=list)
    last_year: Item | None = None
    last_year_note: str = ""
    differences: list[Difference] = field(default_factory=list)
    status: str = ""
    flags: list[str] = field(default_factory=list)
    late_days: int = 0
    included: bool = False
    namesake: bool = False
    """Another body of this run has the same name (only their codes tell them apart)."""

    @property
    def name(self) -> str:
        return self.identity.name

    @property
    def type(self) -> str:
        return self.identity.type

    @property
    def submission(self) -> Item | None:
        """The one version counted for this body (None when missing or duplicated)."""
        return self.versions[0] if len(self.versions) == 1 else None


@dataclass
class Totals:
    bodies: list[Body] = field(default_factory=list)
    figures: dict[str, int | Decimal] = field(default_factory=dict)
    incomplete: dict[str, int] = field(default_factory=dict)
    """Cells left out because a body's figure was not a valid number (``--include-failed``)."""
    last_year: dict[str, int] | None = None
    """Last year's figures the 历年 rules read (``format.baseline_keys``), summed over the same
    bodies; None unless every counted body has one usable last-year report (a partial sum
    would make the aggregate's own 历年 check report differences that are not there)."""
    last_year_missing: list[str] = field(default_factory=list)
    """The counted bodies without a usable last-year report (why ``last_year`` is None)."""


@dataclass
class CollectResult:
    inbox: Path
    year: int | None
    items: list[Item]
    bodies: list[Body]
    totals: dict[str, Totals]
    """``合计`` and one entry per 机关类型."""
    last_year_items: list[Item] = field(default_factory=list)
    include_failed: bool = False
    roster_used: bool = False
    format_id: str = ""

    @property
    def unreadable(self) -> list[Item]:
        return [i for i in self.items if not i.readable]

    @property
    def exit_code(self) -> int:
        bad = self.unreadable or any(b.status in BAD_STATUSES for b in self.bodies)
        return 1 if bad else 0

    def status_counts(self) -> dict[str, int]:
        counts = Counter(b.status for b in self.bodies)
        counts[UNREADABLE] += len(self.unreadable)
        return {s: counts.get(s, 0) for s in STATUSES}


TOTAL = "合计"


@dataclass
class Options:
    year: int | None = None
    include_failed: bool = False
    roster: list[RosterEntry] | None = None
    last_year_dir: Path | None = None
    last_year_lookup: Callable[[list[Body], int], dict[int, Item]] | None = None
    """Finds last year's submission of each body elsewhere (the archive), by list index."""
    exclude: set[Path] = field(default_factory=set)
    progress: Callable[[int, int], None] | None = None
    published: bool = False
    """Import published reports (web pages, text…) found in the inbox (``--published``)."""
    body_type: str | None = None
    """The 机关类型 of published reports whose body has none on the roster (``--type``)."""
    profile: Profile | None = None
    """The rule profile every submission is checked with (``--profile``), as ``check`` takes."""
    counted: Callable[[Body], bool] | None = None
    """Which bodies with one version count in the 汇总 (the board: the office's approved ones);
    None: every valid one (with ``include_failed`` also those with 错误)."""


def collect(inbox: Path, options: Options | None = None) -> CollectResult:
    options = options or Options()
    unlisted: list[tuple[Path, OSError]] = []
    paths = discover(inbox, options.exclude, unlisted)
    items = [unlisted_item(folder, inbox, exc) for folder, exc in unlisted]
    for n, path in enumerate(paths, 1):
        items.append(read_item(path, inbox, options.published))
        if options.progress:
            options.progress(n, len(paths))
    _set_aside_sums(items, options.roster)
    year = options.year if options.year is not None else _usual_year(items)
    bodies, index = _roster_bodies(options.roster)
    roster_twins = _roster_twins(options.roster)
    for item in items:
        if item.readable:
            _assign(item, bodies, index, roster_twins)
            if options.published:
                _type_from_roster(item, options.body_type)
    return judged(inbox, items, bodies, year, options)


def judged(inbox: Path, items: list[Item], bodies: list[Body], year: int | None, options: Options) -> CollectResult:
    """Bodies with their files assigned → statuses, cross-year and the 汇总. Items that come with
    their report (the 收报 board's versions, judged when they arrived) are not checked again."""
    _flag_namesakes(bodies)
    for body in bodies:
        _dedupe(body, year)
    last_items = _attach_last_year(bodies, year, options)
    for item in items:
        if item.readable:
            _validate(item, options.profile)
    fmt = _run_format(bodies, items)
    for body in bodies:
        _judge(body, options, fmt)
    return CollectResult(
        inbox,
        year,
        items,
        bodies,
        _totals(bodies, options.include_failed, fmt),
        last_items,
        options.include_failed,
        options.roster is not None,
        fmt.id,
    )


def _run_format(bodies: list[Body], items: list[Item]) -> FormatSpec:
    """The format the 汇总 is kept in: that of most reports of the collect year (an inbox of
    2019-format reports is summed under its own keys, 本年增/减 and all), else of the first
    readable file, else the default."""
    counts = Counter(v.submission.format.id for b in bodies for v in b.versions if v.submission is not None)
    if counts:
        return get_format(max(counts, key=lambda f: (counts[f], f == get_format().id)))
    return next((i.submission.format for i in items if i.submission is not None), get_format())


def _set_aside_sums(items: list[Item], roster: list[RosterEntry] | None) -> None:
    """A sum made by ``collect --aggregate`` (a previous run's, left in the inbox) is not a body:
    when any body it sums is also in this run (a file of the inbox, or a roster row), counting it
    would count those bodies twice, so it is listed as unusable with the reason. A sum whose
    bodies are all elsewhere (a county's aggregate in the city's inbox) is a report like any."""
    known = {i.identity.key for i in items if i.identity is not None and i.submission and not i.submission.aggregate_of}
    known |= {entry.identity.key for entry in roster or ()}
    for item in items:
        members = item.submission.aggregate_of if item.submission is not None else ()
        present = [m for m in members if name_key(m) in known]
        if not present:
            continue
        shown = "、".join(present[:3]) + ("等" if len(present) > 3 else "")
        item.error = (
            f"{item.rel}：这是以前汇总生成的报告（{len(members)} 个单位之和），其中 {shown} {len(present)} 个单位"
            "也在本次汇总中；为免重复计入，本文件不计入（请把它移出收件文件夹）"
        )
        item.code = "aggregate"
        item.submission, item.identity, item.figures, item.canon = None, None, {}, {}


def _usual_year(items: list[Item]) -> int | None:
    """The year most submissions are for (latest on a tie), identical copies counted once: a
    stray old file does not decide it. Copies have the same body (its name and codes are part
    of the content), so only files sharing one are hashed to tell copies apart."""
    dated = [i for i in items if i.readable and i.year is not None]
    sharing = Counter(i.identity for i in dated)
    distinct = {(i.identity, i.digest if sharing[i.identity] > 1 else ""): i.year for i in dated}
    years = Counter(distinct.values())
    if not years:
        return None
    return max(years, key=lambda y: (years[y], y))


def _roster_bodies(roster: list[RosterEntry] | None) -> tuple[list[Body], BodyIndex[Body]]:
    bodies: list[Body] = []
    index: BodyIndex[Body] = BodyIndex()
    for entry in roster or ():
        body = Body(entry.identity, roster=entry)
        bodies.append(body)
        index.add(entry.identity, body)
    return bodies, index


def _roster_twins(roster: list[RosterEntry] | None) -> frozenset[str]:
    """Names the roster gives to more than one body: only their codes tell those apart."""
    counts = Counter(entry.identity.key for entry in roster or ())
    return frozenset(key for key, n in counts.items() if n > 1)


def _assign(item: Item, bodies: list[Body], index: BodyIndex[Body], roster_twins: frozenset[str]) -> None:
    """Match the file to a known body, else start a new one. A file whose codes contradict the
    only body known under its name (a corrected 行政区划代码 or credit code, no roster row
    telling two such bodies apart) joins that body: two reports under one visible name are a
    duplicate to resolve (重复报送, the differing cells listed), never two bodies summed."""
    identity = item.identity
    assert identity is not None
    if not identity.key:  # no name: a body of its own, named after the file
        identity = Identity(
            f"（未填写机关名称：{item.rel}）", identity.type, identity.region_code, identity.credit_code
        )
        item.identity = identity
    body = index.find(identity)
    if body is None and identity.key not in roster_twins:
        namesakes = index.named(identity)
        body = namesakes[0] if len(namesakes) == 1 and not _two_entities(namesakes[0].identity, identity) else None
        if body is not None:
            index.add(identity, body)  # its codes now lead here too
    if body is None:
        body = Body(identity)
        bodies.append(body)
        index.add(identity, body)
    else:
        _learn(body, identity, index)
    body.items.append(item)
    item.body = body


def _two_entities(a: Identity, b: Identity) -> bool:
    """Two valid, different 统一社会信用代码: two legal entities, whatever their names (a
    corrected typo leaves one of the two invalid: its check character catches it)."""
    ca, cb = code_key(a.credit_code), code_key(b.credit_code)
    return bool(ca and cb and ca != cb and problem(ca) is None and problem(cb) is None)


def _flag_namesakes(bodies: list[Body]) -> None:
    """Bodies told apart only by their codes under one visible name: each says so (同名), unless
    the roster lists every one of them (then the roster is what tells them apart)."""
    groups: dict[str, list[Body]] = {}
    for body in bodies:
        if body.items:
            groups.setdefault(body.identity.key, []).append(body)
    for group in groups.values():
        if len(group) > 1 and not all(b.roster is not None for b in group):
            for body in group:
                body.namesake = True


def _type_from_roster(item: Item, body_type: str | None) -> None:
    """A published report states no 机关类型: one matched on the roster takes the roster's, else
    the one the office gave (``--type``); a type the file states is kept, and none is guessed."""
    body, sub = item.body, item.submission
    known = body.roster.identity.type if body is not None and body.roster is not None else ""
    known = known or body_type or ""
    if not known or sub is None or sub.values.get("body.type") or not is_published(item.path):
        return
    sub.values["body.type"] = known
    if item.identity is not None:
        item.identity = replace(item.identity, type=known)
    if body is not None and not body.identity.type:
        body.identity = replace(body.identity, type=known)


def _learn(body: Body, identity: Identity, index: BodyIndex[Body]) -> None:
    """A roster row without codes learns them from the submission (and is indexed by them)."""
    known = body.identity
    fill = Identity(
        known.name,
        known.type or identity.type,
        known.region_code or identity.region_code,
        known.credit_code or identity.credit_code,
    )
    if fill != known:
        body.identity = fill
        index.add(fill, body)


def _dedupe(body: Body, year: int | None) -> None:
    """Distinct contents for the collect year; an identical copy points at its first file (a
    body's only file needs no hash to be distinct)."""
    first: dict[str, Item] = {}
    if len(body.items) == 1:
        item = body.items[0]
        (body.versions if _year_ok(item, year) else body.wrong_year).append(item)
        return
    for item in body.items:
        if item.digest in first:
            item.copy_of = first[item.digest]
            continue
        first[item.digest] = item
    for item in first.values():
        (body.versions if _year_ok(item, year) else body.wrong_year).append(item)


def _year_ok(item: Item, year: int | None) -> bool:
    return year is None or item.year == year


def _attach_last_year(bodies: list[Body], year: int | None, options: Options) -> list[Item]:
    if year is None:
        return []
    if options.last_year_dir is not None:
        return _last_year_from_dir(bodies, year, options)
    if options.last_year_lookup is not None:
        found = options.last_year_lookup(bodies, year - 1)
        for i, item in found.items():
            bodies[i].last_year = item
        return list(found.values())
    return []


def _last_year_from_dir(bodies: list[Body], year: int, options: Options) -> list[Item]:
    folder = options.last_year_dir
    assert folder is not None
    unlisted: list[tuple[Path, OSError]] = []
    paths = discover(folder, options.exclude, unlisted)
    items = [unlisted_item(f, folder, exc) for f, exc in unlisted]
    items += [read_item(p, folder, options.published, content=False) for p in paths]
    index: BodyIndex[Body] = BodyIndex()
    for body in bodies:
        index.add(body.identity, body)
    for item in items:
        if not item.readable or item.identity is None or item.year != year - 1:
            continue
        found = index.find(item.identity)
        if found is not None:
            _set_last_year(found, item)
    for item in items:
        slim_last_year(item)
    return items


def slim_last_year(item: Item) -> None:
    """A last-year file needs the few figures the 历年 rules read, nothing else (its hash only
    when a body has two last-year files, made before this): 10,000 of them would otherwise
    hold every cell of every report."""
    item.settle_digest()
    item.canon, item.figures = {}, {}
    sub = item.submission
    if sub is not None:
        keep = ("year", *_BODY_KEYS, *sub.format.baseline_keys)  # XY-BODY reads who it is from
        item.submission = Submission(sub.format, {k: sub.values.get(k) for k in keep}, sub.source, kind=sub.kind)


_BODY_KEYS = ("body.name", "body.type", "body.region_code", "body.credit_code")


def _set_last_year(body: Body, item: Item) -> None:
    if body.last_year is None:
        body.last_year = item
    elif body.last_year.digest != item.digest:  # hashed only here, before the files are made slim
        body.last_year_note = (
            f"上年有两份内容不同的报告（{body.last_year.rel}、{item.rel}），无法确定以哪份为准，未做历年核对"
        )


def _validate(item: Item, profile: Profile | None = None) -> None:
    """Check with the rule engine of ``xxgk check``, against the body's own last year."""
    if item.copy_of is not None:
        item.report = item.copy_of.report
        return
    if item.report is not None:  # judged when it arrived
        return
    body, submission = item.body, item.submission
    assert body is not None and submission is not None
    last = body.last_year
    use_last = last is not None and not body.last_year_note and item in body.versions
    item.report = validate(submission, profile, last.submission if last is not None and use_last else None)
    item.report.findings.extend(item.import_findings)


def _judge(body: Body, options: Options, fmt: FormatSpec) -> None:
    if len(body.versions) > 1:
        body.differences = differences(body.versions)
    flags: list[str] = []
    if body.roster is not None and not body.items:
        flags.append(MISSING)
    elif not body.versions:
        flags.append(WRONG_YEAR)
    elif len(body.versions) > 1:
        flags.append(DUPLICATE)
        if any(not _report(v).valid for v in body.versions):
            flags.append(FAILED)
    else:
        report = _report(body.versions[0])
        flags.append(FAILED if not report.valid else WARNED if report.findings else PASSED)
    late = _late_days(body)
    if late:
        body.late_days = late
        flags.append(LATE)
    if options.roster is not None and body.roster is None:
        flags.append(NOT_ON_ROSTER)
    elif body.roster is not None and any(_codes_differ(body.roster.identity, v.identity) for v in body.versions):
        flags.append(CODES_DIFFER)
    if body.namesake:
        flags.append(NAMESAKE)
    one = body.submission
    other_format = one is not None and one.submission is not None and one.submission.format is not fmt
    if other_format:
        flags.append(OTHER_FORMAT)
    body.flags = flags
    body.status = _primary(flags)
    if options.counted is not None:
        body.included = one is not None and not other_format and options.counted(body)
    else:
        body.included = one is not None and not other_format and (_report(one).valid or options.include_failed)


def _codes_differ(row: Identity, file: Identity | None) -> bool:
    def differ(a: str, b: str) -> bool:
        return bool(a and b and code_key(a) != code_key(b))

    return file is not None and (differ(row.credit_code, file.credit_code) or differ(row.region_code, file.region_code))


def _report(item: Item) -> ValidationReport:
    """The report of a file of the collect year (every readable one is validated before judging)."""
    assert item.report is not None
    return item.report


def _primary(flags: list[str]) -> str:
    for status in (MISSING, WRONG_YEAR, DUPLICATE, FAILED, LATE, WARNED, PASSED):
        if status in flags:
            return status
    return flags[0]


def _late_days(body: Body) -> int:
    deadline = body.roster.deadline if body.roster is not None else None
    if deadline is None or not body.versions:
        return 0
    received = min(v.received for v in body.versions).date()
    return max((received - deadline).days, 0)


def differences(versions: list[Item]) -> list[Difference]:
    """The cells in which the versions disagree, with each version's content."""
    fmt = versions[0].submission.format if versions[0].submission else get_format()
    canons = [canonical(v.submission)[0] for v in versions if v.submission is not None]
    keys = [k for k in canons[0] if len({c.get(k, "") for c in canons}) > 1]
    out = []
    for key in keys:
        label = "情况说明" if key == "explanations" else fmt.cell(key).label
        out.append(Difference(key, label, tuple(c.get(key, "") for c in canons)))
    return out


def _totals(bodies: list[Body], include_failed: bool, fmt: FormatSpec) -> dict[str, Totals]:
    figure_keys = [c.key for c in fmt.figure_cells()]
    key_set = frozenset(figure_keys)
    groups = {TOTAL: Totals(), **{t: Totals() for t in fmt.cell("body.type").choices}}
    members: dict[int, list[dict[str, int | Decimal]]] = {id(t): [] for t in groups.values()}
    for totals in groups.values():
        totals.figures = {k: (Decimal(0) if fmt.cell(k).kind == "money" else 0) for k in figure_keys}
    for body in bodies:
        if not body.included:
            continue
        item = body.submission
        if item is None:
            continue
        targets = [groups[TOTAL]]
        identity = body.versions[0].identity
        if item.submission is not None and identity is not None and identity.type in groups:
            targets.append(groups[identity.type])
        complete = item.figures.keys() >= key_set
        missing = [] if complete else [k for k in figure_keys if k not in item.figures]
        for totals in targets:
            totals.bodies.append(body)
            members[id(totals)].append(item.figures)
            for key in missing:
                totals.incomplete[key] = totals.incomplete.get(key, 0) + 1
    last_counts: dict[int, list[int] | None] = {}  # per body: read once for 合计 and its type
    for totals in groups.values():
        _add_up(totals, members[id(totals)])
        _sum_last_year(totals, fmt.baseline_keys, last_counts)
    return groups


def _add_up(totals: Totals, figures: list[dict[str, int | Decimal]]) -> None:
    """Each cell summed over the bodies in C (exact: ints and Decimals), skipping the bodies
    whose figure is missing only for the cells where one is."""
    sums = totals.figures
    for key in sums:
        if key in totals.incomplete:
            sums[key] += sum(f[key] for f in figures if key in f)
    complete = [k for k in sums if k not in totals.incomplete]
    for key, total in zip(complete, _column_sums(complete, figures), strict=True):
        sums[key] += total


BY_ROWS = accel.register(
    "column-sums",
    __name__,
    "the 汇总 added up a body's row at a time, in blocks, instead of a pass per cell over every body "
    "(the same additions in the same order; a pass per cell missed the CPU cache at 10,000 bodies)",
)


def _column_sums(keys: list[str], figures: list[dict[str, int | Decimal]]) -> list[int | Decimal]:
    """``sum(f[key] for f in figures)`` for each key, the same additions in the same order
    (``sum(column, start)`` goes on from where the previous rows stopped), read a body's
    figures at a time: a pass per cell over 10,000 bodies' dicts missed the CPU cache."""
    from operator import itemgetter

    if not BY_ROWS.on or len(keys) < 2:
        return [sum(map(itemgetter(key), figures)) for key in keys]
    get = itemgetter(*keys)
    totals: list = [0] * len(keys)
    for start in range(0, len(figures), 1024):  # a bounded block of rows at a time
        columns = zip(*map(get, figures[start : start + 1024]), strict=True)
        totals = [sum(column, total) for column, total in zip(columns, totals, strict=True)]
    return totals


def _sum_last_year(totals: Totals, keys: tuple[str, ...], known: dict[int, list[int] | None]) -> None:
    """Last year's figures summed over the group; `known` keeps each body's, read once."""
    sums = dict.fromkeys(keys, 0)
    for body in totals.bodies:
        counts = known.get(id(body), _ABSENT)
        if counts is _ABSENT:
            counts = known[id(body)] = _last_year_counts(body, keys)
        if counts is None:
            totals.last_year_missing.append(body.name)
            continue
        for key, count in zip(keys, counts, strict=True):
            sums[key] += count
    if totals.bodies and not totals.last_year_missing:
        totals.last_year = sums


_ABSENT: list[int] = []


def _last_year_counts(body: Body, keys: tuple[str, ...]) -> list[int] | None:
    """The body's last-year figures the 历年 rules read (each as its cell's kind reads it), or
    None when it has no usable ones."""
    last = body.last_year
    sub = last.submission if last is not None else None
    if sub is None or body.last_year_note:
        return None
    get = sub.values.get
    raw = [convert(get(k)) for k, convert in _converters(sub.format, keys)]
    counts = [c for c in raw if isinstance(c, int)]
    return counts if raw and len(counts) == len(raw) else None


@cache
def _converters(fmt, keys: tuple[str, ...]) -> tuple[tuple[str, Callable[[object], object]], ...]:
    """(key, its kind's conversion) of each of `keys` (:mod:`validator.kinds`)."""
    return tuple((k, KINDS[fmt.cell(k).kind].convert) for k in keys)


def today() -> dt.date:
    return dt.date.today()
