"""Vote tallies judged against a round's stated rule, with one sentence on what is still needed.

Pure Python (no Django). The comparison with the threshold is exact (``fractions.Fraction``), so a
target exactly at 2/3 reaches a 2/3 threshold whatever floats would say.

Status precedence, first match wins:

1. ``no-quorum``: fewer distinct voters than the quorum;
2. ``blocked``: any block, when blocks prevent consensus (a block counts as an oppose in the ratio
   when they do not);
3. ``contested``: no support or oppose votes at all (only abstentions), or the support ratio
   support / (support + oppose) under the threshold, or, with ``require_every_group``, any group
   with support or oppose votes under the threshold;
4. ``consensus``.

Divisiveness is the population standard deviation of the groups' support ratios (groups with at
least one support or oppose vote), scaled by 2 so it spans [0, 1]: 0 when the groups agree (or fewer
than two groups expressed a view), 1 when half the groups are unanimous for and half against. The
standard deviation, unlike max - min, is not dominated by one small outlying group.

Voters with no stakeholder group are counted under ``UNAFFILIATED``.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Iterable, Sequence

POSITIONS = ("support", "oppose", "abstain", "block")
STATUSES = ("consensus", "contested", "blocked", "no-quorum")
UNAFFILIATED = "unaffiliated"


def parse_threshold(value) -> Fraction:
    """'2/3', '0.6', '60%', 0.6, Fraction(2, 3) -> an exact Fraction in (0, 1]."""
    if isinstance(value, Fraction):
        result = value
    elif isinstance(value, bool):
        raise ValueError("The threshold must be a fraction such as 2/3 or a decimal such as 0.6.")
    elif isinstance(value, int):
        result = Fraction(value)
    elif isinstance(value, float):
        result = Fraction(Decimal(repr(value)))
    elif isinstance(value, Decimal):
        result = Fraction(value)
    else:
        text = str(value).strip()
        try:
            if text.endswith("%"):
                result = Fraction(Decimal(text[:-1].strip())) / 100
            elif "/" in text:
                numerator, denominator = (part.strip() for part in text.split("/", 1))
                if int(denominator) == 0:
                    raise ValueError(f"The threshold {text!r} divides by zero.")
                result = Fraction(int(numerator), int(denominator))
            else:
                result = Fraction(Decimal(text))
        except (InvalidOperation, ValueError) as exc:
            if "divides by zero" in str(exc):
                raise
            raise ValueError(
                f"The threshold {text!r} is not a fraction such as 2/3 or a decimal such as 0.6."
            ) from None
    if not (0 < result <= 1):
        raise ValueError(f"The threshold must be more than 0 and at most 1, not {value}.")
    return result


def format_threshold(threshold: Fraction) -> str:
    return str(threshold)


@dataclass(frozen=True)
class Rule:
    quorum: int = 1
    threshold: Fraction = Fraction(2, 3)
    blocks_prevent_consensus: bool = True
    require_every_group: bool = False
    public_votes: bool = False

    def __post_init__(self):
        if self.quorum < 0:
            raise ValueError("The quorum cannot be negative.")
        object.__setattr__(self, "threshold", parse_threshold(self.threshold))

    def to_dict(self) -> dict:
        return {
            "quorum": self.quorum,
            "threshold": format_threshold(self.threshold),
            "blocks_prevent_consensus": self.blocks_prevent_consensus,
            "require_every_group": self.require_every_group,
            "public_votes": self.public_votes,
        }


@dataclass(frozen=True)
class Ballot:
    voter: str
    group: str | None
    target: str | None
    position: str


def _empty_counts() -> dict[str, int]:
    return {p: 0 for p in POSITIONS}


def _ratio(counts: dict[str, int], rule: Rule) -> Fraction | None:
    support = counts["support"]
    against = counts["oppose"] + (0 if rule.blocks_prevent_consensus else counts["block"])
    if support + against == 0:
        return None
    return Fraction(support, support + against)


def _percent_below(ratio: Fraction) -> str:
    """A percentage for a ratio under the threshold: floored, so it never reads as reaching it."""
    return f"{math.floor(ratio * 100)}%"


def _percent(ratio: Fraction) -> str:
    return f"{round(ratio * 100)}%"


def _threshold_percent(threshold: Fraction) -> str:
    value = threshold * 100
    return f"{math.ceil(value)}%" if value.denominator != 1 else f"{value.numerator}%"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _more_support_needed(counts: dict[str, int], rule: Rule) -> int:
    """The least number of extra support votes that lifts the ratio to the threshold (exact)."""
    support = counts["support"]
    against = counts["oppose"] + (0 if rule.blocks_prevent_consensus else counts["block"])
    t = rule.threshold
    if t == 1:
        return 0 if against == 0 else -1  # unreachable by support alone
    # (support + k) / (support + k + against) >= t  <=>  k >= (t*against - (1-t)*support) / (1-t)
    needed = (t * against - (1 - t) * support) / (1 - t)
    return max(0, math.ceil(needed))


@dataclass
class GroupTally:
    counts: dict[str, int] = field(default_factory=_empty_counts)
    voters: int = 0
    ratio: Fraction | None = None

    def to_dict(self) -> dict:
        return {"counts": dict(self.counts), "voters": self.voters, "support_ratio": _json_ratio(self.ratio)}


def _json_ratio(ratio: Fraction | None) -> float | None:
    return None if ratio is None else round(float(ratio), 4)


@dataclass
class TargetTally:
    anchor: str | None
    counts: dict[str, int]
    voters: int
    ratio: Fraction | None
    by_group: dict[str, GroupTally]
    status: str
    needed: str
    divisiveness: float

    @property
    def support_ratio(self) -> float | None:
        return _json_ratio(self.ratio)

    def to_dict(self) -> dict:
        return {
            "anchor": self.anchor,
            "counts": dict(self.counts),
            "voters": self.voters,
            "support_ratio": self.support_ratio,
            "by_group": {slug: g.to_dict() for slug, g in sorted(self.by_group.items())},
            "status": self.status,
            "needed": self.needed,
            "divisiveness": self.divisiveness,
        }


def _judge(anchor, counts, by_group, rule: Rule) -> TargetTally:
    voters = sum(counts.values())
    ratio = _ratio(counts, rule)
    for group in by_group.values():
        group.voters = sum(group.counts.values())
        group.ratio = _ratio(group.counts, rule)
    expressed = [g.ratio for g in by_group.values() if g.ratio is not None]
    if len(expressed) >= 2:
        mean = sum(expressed) / len(expressed)
        variance = sum((r - mean) ** 2 for r in expressed) / len(expressed)
        divisiveness = round(min(1.0, 2 * math.sqrt(float(variance))), 4)
    else:
        divisiveness = 0.0
    threshold_text = _threshold_percent(rule.threshold)
    under_groups = sorted(
        ((g.ratio, slug) for slug, g in by_group.items() if g.ratio is not None and g.ratio < rule.threshold),
    )
    if voters < rule.quorum:
        missing = rule.quorum - voters
        status, needed = "no-quorum", f"needs {_plural(missing, 'more voter', 'more voters')} for quorum"
    elif rule.blocks_prevent_consensus and counts["block"]:
        status, needed = "blocked", f"blocked by {_plural(counts['block'], 'objection', 'objections')}"
    elif ratio is None:
        status, needed = "contested", "no support or opposition yet: every voter abstained"
    elif ratio < rule.threshold:
        more = _more_support_needed(counts, rule)
        tail = f"; needs {_plural(more, 'more support vote', 'more support votes')}" if more > 0 else ""
        status = "contested"
        needed = f"at {_percent_below(ratio)} support, below the {threshold_text} threshold{tail}"
    elif rule.require_every_group and under_groups:
        shown = [f"{slug} at {_percent_below(r)} support" for r, slug in under_groups[:3]]
        extra = len(under_groups) - 3
        listing = ", ".join(shown) + (f" and {extra} more" if extra > 0 else "")
        status = "contested"
        needed = f"{listing}, below the {threshold_text} threshold every group must reach"
    else:
        groups = len(by_group)
        status = "consensus"
        needed = f"consensus: {_percent(ratio)} support across {_plural(groups, 'group', 'groups')}"
    return TargetTally(anchor, counts, voters, ratio, by_group, status, needed, divisiveness)


def tally_counts(
    rows: Iterable[tuple[str | None, str | None, str, int]],
    rule: Rule,
    *,
    targets: Sequence[str | None] | None = None,
) -> list[TargetTally]:
    """Tallies from pre-aggregated rows ``(target, group, position, count)`` (one vote per voter
    and target, so counts are distinct voters). Targets listed come first in their order (with no
    votes they are ``no-quorum``); others follow, None first, then sorted."""
    counts: dict[str | None, dict[str, int]] = defaultdict(_empty_counts)
    groups: dict[str | None, dict[str, GroupTally]] = defaultdict(dict)
    for target, group, position, count in rows:
        if position not in POSITIONS:
            raise ValueError(f"Unknown position {position!r}; expected one of {', '.join(POSITIONS)}.")
        if count < 0:
            raise ValueError("Counts cannot be negative.")
        counts[target][position] += count
        slug = group or UNAFFILIATED
        groups[target].setdefault(slug, GroupTally()).counts[position] += count
    order: list[str | None] = list(targets or [])
    listed = set(order)
    rest = [t for t in counts if t not in listed]
    order += sorted(rest, key=lambda t: (t is not None, t or ""))
    return [_judge(t, dict(counts[t]) if t in counts else _empty_counts(), groups.get(t, {}), rule) for t in order]


def tally(ballots: Iterable[Ballot], rule: Rule, *, targets: Sequence[str | None] | None = None) -> list[TargetTally]:
    """Tallies from individual ballots; the same (voter, target) twice is an error."""
    seen: set[tuple[str, str | None]] = set()
    rows: dict[tuple[str | None, str | None, str], int] = defaultdict(int)
    for ballot in ballots:
        key = (ballot.voter, ballot.target)
        if key in seen:
            raise ValueError(f"Voter {ballot.voter!r} has two votes on {ballot.target or 'the whole version'}.")
        seen.add(key)
        rows[(ballot.target, ballot.group, ballot.position)] += 1
    return tally_counts(((t, g, p, n) for (t, g, p), n in rows.items()), rule, targets=targets)
