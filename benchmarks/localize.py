"""Error-localisation rates on mutated copies of the three real reports.

Every input cell of 表二–表四 is changed by +1, −1 and a digit swap (12→21); then pairs of
cells in different rows and columns (a sample). Each mutated report is checked in memory
(the same engine as ``xxgk check``) and the located cell compared with the mutated one.

    uv run python benchmarks/localize.py [--pairs N]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from validator.engine import build_context, validate  # noqa: E402
from validator.jsonio import load_json  # noqa: E402
from validator.localize import equations  # noqa: E402
from validator.profile import Profile  # noqa: E402
from validator.spec import split_ref  # noqa: E402
from validator.submission import Submission  # noqa: E402

REPORTS = ROOT / "tests" / "fixtures" / "reports"
NAMES = ("fenxi-zfb_2023", "huaian-shi_2024", "pingtan_2021")


def load(name: str) -> Submission:
    return load_json(REPORTS / f"{name}.source.json")


def count_cells(sub: Submission) -> list[str]:
    """Input cells some arithmetic 错误 rule reads (表二's figures are in none)."""
    checked = {k for eq in equations(build_context(sub, Profile())) for k in eq.coef}
    return [c.key for c in sub.format.figure_cells() if c.key in checked]


def single_mutations(value: int) -> list[int]:
    out = [value + 1]
    if value >= 1:
        out.append(value - 1)
    swapped = int(str(value)[::-1]) if value >= 10 else None
    if swapped is not None and swapped != value:
        out.append(swapped)
    return sorted(set(out))


def mutated(sub: Submission, changes: dict[str, int]) -> Submission:
    return Submission(sub.format, {**sub.values, **changes}, sub.source, list(sub.explanations), sub.kind)


def outcome(sub: Submission, truth: dict[str, int]) -> str:
    """exact | alternative (truth named among equally good cells) | ambiguous | wrong | unnoticed."""
    report = validate(sub)
    errors = [f for f in report.findings if f.severity == "error"]
    if not errors:
        return "unnoticed"
    roots = [f for f in errors if f.located]
    if not roots:
        return "ambiguous"
    located = {f.keys[0]: f.expected for f in roots}
    if any(truth.get(k) != v for k, v in located.items()) and not all(
        any(truth.get(c.key) == v for c, v in f.alternatives) for f in roots if truth.get(f.keys[0]) != f.expected
    ):
        return "wrong"
    if located == truth:
        return "exact"
    if any(f.alternatives for f in roots):
        return "alternative"
    return "partly"  # some cells located rightly, the others declared ambiguous


def position(sub: Submission, key: str) -> tuple[str, int, int]:
    cell = sub.format.cell(key)
    row, col = split_ref(cell.ref)
    return cell.sheet, row, col


def singles(sub: Submission) -> Counter:
    rates: Counter = Counter()
    for key in count_cells(sub):
        original = sub.values[key]
        for value in single_mutations(original):
            rates[outcome(mutated(sub, {key: value}), {key: original})] += 1
    return rates


def pairs(sub: Submission, n: int, rng: random.Random) -> Counter:
    keys = count_cells(sub)
    rates: Counter = Counter()
    tried = 0
    while tried < n:
        a, b = rng.sample(keys, 2)
        (sa, ra, ca), (sb, rb, cb) = position(sub, a), position(sub, b)
        if sa == sb and (ra == rb or ca == cb):
            continue
        tried += 1
        changes = {k: rng.choice(single_mutations(sub.values[k])) for k in (a, b)}
        rates[outcome(mutated(sub, changes), {a: sub.values[a], b: sub.values[b]})] += 1
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description="错误定位的命中率")
    ap.add_argument("--pairs", type=int, default=1000, help="每份报告抽样的两格变动数（默认 1000）")
    ap.add_argument("--seed", type=int, default=13, help="随机种子（默认 13）")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    total1: Counter = Counter()
    total2: Counter = Counter()
    for name in NAMES:
        sub = load(name)
        one, two = singles(sub), pairs(sub, args.pairs, rng)
        total1 += one
        total2 += two
        print(name, "单格:", dict(one), "两格:", dict(two))
    for title, c in (("单格变动", total1), ("两格变动（不同行、不同列）", total2)):
        n = sum(c.values())
        print(f"{title} 共 {n} 例：" + "，".join(f"{k} {v}（{v / n:.1%}）" for k, v in sorted(c.items())))


if __name__ == "__main__":
    main()
