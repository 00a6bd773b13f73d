"""Vote tallies: the positions on each target (a clause, or the version as a whole) counted overall
and by stakeholder group, judged against the round's rule, with one plain sentence saying what the
target still needs.

Pure Python (no Django), so the API, the pages and the Celery report all judge votes the same way.
The Django layer counts votes in the database (``GROUP BY target, group, position``) and hands the
rows to ``tally_counts``; ``tally`` does the same from individual ballots.

The rule, as this module reads it:

* The support ratio is support / (support + oppose + block). Abstentions count towards the quorum
  only. A block always counts against support in the ratio: it is the strongest form of opposition,
  so the ratio never rises because an objection is a block rather than an oppose, and changing a
  block to an oppose (or back) leaves the ratio alone and moves only the status. When the rule says
  blocks prevent consensus, a block also vetoes (see the precedence below).
* The ratio is compared with the threshold exactly, as ``fractions.Fraction``: 2 votes of 3 reach a
  2/3 threshold, whatever binary floating point would say.
* Voters with no stakeholder group are counted as a group of their own, ``UNAFFILIATED``, for every
  per-group figure and rule. (A real group with that slug would be merged with them; the Django
  layer labels it "No group".)

Status precedence, the first that applies wins:

1. ``no-quorum``: fewer distinct voters than the quorum (abstentions count as voters);
2. ``blocked``: at least one block, when the rule says blocks prevent consensus; the sentence names
   only the blocks, even if support is also under the threshold, because nothing else matters
   until they are withdrawn;
3. ``contested``: no support, oppose or block at all (everyone abstained: there is nothing to call
   a consensus), or the overall ratio under the threshold, or, with ``require_every_group``, any
   group with at least one support, oppose or block under the threshold (a group whose voters all
   abstained holds nothing back);
4. ``consensus``.

Divisiveness is twice the population standard deviation of the support ratios of the groups that
have one (each group weighs the same, whatever its size): 0 when they agree or fewer than two groups
have a ratio, 1 when half the groups are unanimously for and half unanimously against (the largest
standard deviation values in [0, 1] can have is 1/2). Unlike max - min, it is not set by one small
outlying group alone, and it grows with the number of groups that disagree.

Percentages in sentences never mislead at the edges: a ratio under the threshold is rounded down and
the threshold to nearest, with more decimals when they would still read the same ("at 60.00%
support, below the 60.01% threshold"); a ratio at or over the threshold never reads as under it;
and no ratio (nor the threshold) reads as 100% unless it is 1, or as 0% unless it is 0.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from operator import attrgetter
from typing import Any, Literal

Position = Literal["support", "oppose", "abstain", "block"]
Status = Literal["consensus", "contested", "blocked", "no-quorum"]
Target = str | None

POSITIONS: tuple[Position, ...] = ("support", "oppose", "abstain", "block")
STATUSES: tuple[Status, ...] = ("consensus", "contested", "blocked", "no-quorum")
UNAFFILIATED = "unaffiliated"
DEFAULT_THRESHOLD = Fraction(2, 3)

_INDEX = {position: i for i, position in enumerate(POSITIONS)}
_SUPPORT, _OPPOSE, _BLOCK = _INDEX["support"], _INDEX["oppose"], _INDEX["block"]
# The groups named in a require_every_group sentence before "and N more groups".
_GROUPS_NAMED = 3


# -- the rule ------------------------------------------------------------------------------------

# Plain decimals and fractions only: no exponents, so "1e-999999999" cannot make Fraction build a
# number with a billion digits, and ASCII digits only, so what is stored reads the same everywhere.
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_FRACTION_TEXT = re.compile(r"([+-]?\d+)\s*/\s*(\d+)", re.ASCII)
_DECIMAL_TEXT = re.compile(_NUMBER, re.ASCII)
_PERCENT_TEXT = re.compile(rf"({_NUMBER})\s*%", re.ASCII)
_MAX_THRESHOLD_TEXT = 64
_THRESHOLD_FORMS = "a fraction such as 2/3, a decimal such as 0.6 or a percentage such as 60%"


def parse_threshold(value: str | int | float | Fraction | Decimal) -> Fraction:
    """The threshold as an exact fraction in (0, 1].

    Accepts a fraction ("2/3"), a decimal ("0.6"), a percentage ("60%"), or a number. A float is
    read as the decimal it prints as (0.6 is 3/5, not the nearest binary fraction), since that is
    what whoever typed it meant. Raises ValueError, naming the threshold, for anything else or for a
    value outside (0, 1]; TypeError for a value of another type.
    """
    if isinstance(value, bool):  # bool is an int; True as a threshold is surely a mistake
        raise TypeError(f"The threshold must be {_THRESHOLD_FORMS}, not a boolean.")
    if isinstance(value, Fraction):
        result = value
    elif isinstance(value, int):
        result = Fraction(value)
    elif isinstance(value, float | Decimal):
        decimal = Decimal(repr(value)) if isinstance(value, float) else value
        if not decimal.is_finite():
            raise ValueError(f"The threshold must be a finite number, not {value}.")
        # Refused before Fraction would expand an exponent such as 1E-999999999 into its digits.
        if not -_MAX_THRESHOLD_TEXT <= decimal.adjusted() <= 0:
            raise ValueError(f"The threshold must be more than 0 and at most 1, not {value}.")
        result = Fraction(decimal)
    elif isinstance(value, str):
        result = _parse_threshold_text(value)
    else:
        raise TypeError(f"The threshold must be {_THRESHOLD_FORMS}, not {type(value).__name__}.")
    if not 0 < result <= 1:
        shown = repr(value.strip()) if isinstance(value, str) else str(value)
        raise ValueError(f"The threshold must be more than 0 and at most 1, not {shown}.")
    return result


def _parse_threshold_text(value: str) -> Fraction:
    text = value.strip()
    if len(text) > _MAX_THRESHOLD_TEXT:
        raise ValueError(f"The threshold is too long ({len(text)} characters); write {_THRESHOLD_FORMS}.")
    if match := _FRACTION_TEXT.fullmatch(text):
        numerator, denominator = int(match[1]), int(match[2])
        if denominator == 0:
            raise ValueError(f"The threshold {text!r} divides by zero.")
        return Fraction(numerator, denominator)
    if match := _PERCENT_TEXT.fullmatch(text):
        return Fraction(Decimal(match[1])) / 100
    if _DECIMAL_TEXT.fullmatch(text):
        return Fraction(Decimal(text))
    raise ValueError(f"The threshold {text!r} is not {_THRESHOLD_FORMS}.")


@dataclass(frozen=True)
class Rule:
    """How a round judges its votes. ``threshold`` may be given in any form ``parse_threshold``
    accepts; it is stored as the exact Fraction."""

    quorum: int = 1
    threshold: Fraction = DEFAULT_THRESHOLD
    blocks_prevent_consensus: bool = True
    require_every_group: bool = False
    public_votes: bool = False  # carried for the callers; who voted how is not the tally's business

    def __post_init__(self) -> None:
        if isinstance(self.quorum, bool) or not isinstance(self.quorum, int) or self.quorum < 0:
            raise ValueError(f"The quorum must be a whole number of voters, 0 or more, not {self.quorum!r}.")
        # Frozen, so normalise through object.__setattr__: equal rules compare equal however the
        # threshold was written ("0.6", "3/5", "60%").
        object.__setattr__(self, "threshold", parse_threshold(self.threshold))

    def to_dict(self) -> dict[str, Any]:
        return {
            "quorum": self.quorum,
            "threshold": str(self.threshold),  # exact: "2/3", "3/5", "1"
            "blocks_prevent_consensus": self.blocks_prevent_consensus,
            "require_every_group": self.require_every_group,
            "public_votes": self.public_votes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        """The inverse of ``to_dict`` (missing keys take their defaults), e.g. for a stored report."""
        names = ("quorum", "threshold", "blocks_prevent_consensus", "require_every_group", "public_votes")
        return cls(**{name: data[name] for name in names if name in data})


# -- what comes in and what goes out ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Ballot:
    """One voter's current position on one target (None: the version as a whole)."""

    voter: str
    group: str | None
    target: Target
    position: Position


def _json_ratio(ratio: Fraction | None) -> float | None:
    # Rounded as a Fraction first, so the 4 places are exact before the one conversion to float.
    return None if ratio is None else float(round(ratio, 4))


@dataclass(frozen=True)
class GroupTally:
    """One stakeholder group's votes on one target."""

    counts: dict[str, int]
    voters: int
    ratio: Fraction | None  # exact support ratio; None with no support, oppose or block

    @property
    def support_ratio(self) -> float | None:
        return _json_ratio(self.ratio)

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "voters": self.voters, "support_ratio": self.support_ratio}


@dataclass(frozen=True)
class TargetTally:
    """The tally of one target: counts overall and by group (keyed by slug, sorted), the exact
    ratio, the status, the sentence saying what is still needed, and the divisiveness."""

    anchor: Target
    counts: dict[str, int]
    voters: int
    ratio: Fraction | None
    by_group: dict[str, GroupTally]
    status: Status
    needed: str
    divisiveness: float

    @property
    def support_ratio(self) -> float | None:
        return _json_ratio(self.ratio)

    def to_dict(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor,
            "counts": dict(self.counts),
            "voters": self.voters,
            "support_ratio": self.support_ratio,
            "by_group": {slug: group.to_dict() for slug, group in self.by_group.items()},
            "status": self.status,
            "needed": self.needed,
            "divisiveness": self.divisiveness,
        }


# -- counting ------------------------------------------------------------------------------------

def tally_counts(
    rows: Iterable[tuple[Target, str | None, str, int]],
    rule: Rule,
    *,
    targets: Sequence[Target] | None = None,
) -> list[TargetTally]:
    """Tallies from pre-aggregated rows ``(target, group, position, count)``, such as a SQL
    ``GROUP BY``. Rows for the same key add up, so partial aggregates can be fed in together.

    Each voter has one current vote per target, so a target's distinct voters are the sum of its
    counts (and likewise per group). The result lists ``targets`` first, in their order, including
    those with no votes; then any other target in the rows, the version as a whole (None) first,
    then by anchor.
    """
    # target -> group slug -> counts per position (a list indexed like POSITIONS)
    counts: dict[Target, dict[str, list[int]]] = defaultdict(dict)
    index = _INDEX
    for target, group, position, count in rows:
        slot = index.get(position)
        if slot is None:
            raise ValueError(
                f"Unknown position {position!r} on {_describe(target)}; "
                f"expected one of {', '.join(POSITIONS)}."
            )
        if count < 0:
            raise ValueError(f"A count cannot be negative ({count} {position} on {_describe(target)}).")
        groups = counts[target]
        slug = UNAFFILIATED if group is None else group
        per_group = groups.get(slug)
        if per_group is None:
            per_group = groups[slug] = [0, 0, 0, 0]
        per_group[slot] += count

    order = list(targets or ())
    listed = set(order)
    if len(listed) != len(order):
        twice = sorted({t for t in order if order.count(t) > 1}, key=_target_key)
        raise ValueError(f"Targets are listed more than once: {', '.join(_describe(t) for t in twice)}.")
    order += sorted((t for t in counts if t not in listed), key=_target_key)
    return [_judge(target, counts.get(target, {}), rule) for target in order]


def tally(
    ballots: Iterable[Ballot],
    rule: Rule,
    *,
    targets: Sequence[Target] | None = None,
) -> list[TargetTally]:
    """Tallies from individual ballots: the same as ``tally_counts`` on their counts. A voter with
    two ballots on one target is an error (the caller passes each voter's current vote only).

    Linear in the ballots and built for millions of them: one Python pass collects each target's
    voters (duplicates are then found per target by a set built in C) and ``Counter`` aggregates
    the rows in C. An iterator is read into a list once for that.
    """
    ballots = ballots if isinstance(ballots, list | tuple) else list(ballots)
    voters_by_target: dict[Target, list[str]] = defaultdict(list)
    for ballot in ballots:
        voters_by_target[ballot.target].append(ballot.voter)
    for target, voters in voters_by_target.items():
        if len(set(voters)) != len(voters):
            raise ValueError(f"Voter {_first_repeat(voters)!r} has two votes on {_describe(target)}.")
    rows = Counter(map(attrgetter("target", "group", "position"), ballots))
    return tally_counts(((t, g, p, n) for (t, g, p), n in rows.items()), rule, targets=targets)


def _target_key(target: Target) -> tuple[bool, str]:
    return (target is not None, target or "")


def _describe(target: Target) -> str:
    return "the version as a whole" if target is None else f"clause {target!r}"


def _first_repeat(items: Iterable[str]) -> str:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    raise AssertionError("no repeated item")  # only called once a repeat is known to exist


# -- judging -------------------------------------------------------------------------------------

def _ratio(counts: Sequence[int]) -> Fraction | None:
    against = counts[_OPPOSE] + counts[_BLOCK]
    expressed = counts[_SUPPORT] + against
    return Fraction(counts[_SUPPORT], expressed) if expressed else None


def _as_dict(counts: Sequence[int]) -> dict[str, int]:
    return dict(zip(POSITIONS, counts))


def _judge(anchor: Target, groups: Mapping[str, Sequence[int]], rule: Rule) -> TargetTally:
    totals = [sum(column) for column in zip(*groups.values())] if groups else [0, 0, 0, 0]
    voters = sum(totals)
    ratio = _ratio(totals)
    by_group = {
        slug: GroupTally(counts=_as_dict(counts), voters=sum(counts), ratio=_ratio(counts))
        for slug, counts in sorted(groups.items())
        if sum(counts)  # zero-count rows (e.g. from an incremental update) leave no empty group behind
    }
    status, needed = _status(totals, ratio, by_group, rule)
    return TargetTally(
        anchor=anchor,
        counts=_as_dict(totals),
        voters=voters,
        ratio=ratio,
        by_group=by_group,
        status=status,
        needed=needed,
        divisiveness=_divisiveness([g.ratio for g in by_group.values() if g.ratio is not None]),
    )


def _status(totals: Sequence[int], ratio: Fraction | None, by_group: Mapping[str, GroupTally],
            rule: Rule) -> tuple[Status, str]:
    voters = sum(totals)
    threshold = rule.threshold
    if voters < rule.quorum:
        return "no-quorum", f"needs {_count(rule.quorum - voters, 'more voter')} for quorum"
    if rule.blocks_prevent_consensus and totals[_BLOCK]:
        return "blocked", f"blocked by {_count(totals[_BLOCK], 'objection')}"
    if ratio is None:
        if voters == 0:
            return "contested", "no votes yet"
        who = "the 1 voter" if voters == 1 else f"all {voters} voters"
        return "contested", f"no support or opposition yet: {who} abstained"
    if ratio < threshold:
        shown, shown_threshold = _percents_below([ratio], threshold)
        return "contested", (
            f"at {shown[0]} support, below the {shown_threshold} threshold; "
            + _support_needed(totals[_SUPPORT], totals[_OPPOSE] + totals[_BLOCK], threshold)
        )
    if rule.require_every_group:
        under = sorted(
            (group.ratio, slug) for slug, group in by_group.items()
            if group.ratio is not None and group.ratio < threshold
        )
        if under:
            named = under[:_GROUPS_NAMED]
            shown, shown_threshold = _percents_below([r for r, _slug in named], threshold)
            parts = [f"{slug} at {percent}" for (_r, slug), percent in zip(named, shown)]
            if len(under) > len(named):
                listing = f"{', '.join(parts)} support and {_count(len(under) - len(named), 'more group')}"
            else:
                listing = f"{_and(parts)} support"
            return "contested", f"{listing}, below the {shown_threshold} threshold every group must reach"
    shown = _percent_reached(ratio, threshold)
    return "consensus", f"consensus: {shown} support across {_count(len(by_group), 'group')}"


def _support_needed(support: int, against: int, threshold: Fraction) -> str:
    """What lifts a ratio under the threshold to it, as a clause of the sentence.

    The least k with (support + k) / (support + k + against) >= t is, for t < 1,
    k = ceil((t * against - (1 - t) * support) / (1 - t)), computed exactly in Fractions. With t = 1
    no number of support votes is enough: every vote against has to change.
    """
    if threshold == 1:
        return f"needs {_count(against, 'vote')} against to change"
    more = math.ceil((threshold * against - (1 - threshold) * support) / (1 - threshold))
    return f"needs {_count(more, 'more support vote')}"


def _divisiveness(ratios: Sequence[Fraction]) -> float:
    if len(ratios) < 2:
        return 0.0
    # In floating point (fsum keeps it accurate): it is a descriptive float rounded to 4 places that
    # nothing is compared with, and exact Fractions made it the slowest step of a tally.
    values = [float(r) for r in ratios]
    mean = math.fsum(values) / len(values)
    variance = math.fsum((v - mean) ** 2 for v in values) / len(values)
    return round(min(1.0, 2 * math.sqrt(variance)), 4)


def _count(n: int, noun: str) -> str:
    """'1 more voter', '3 more voters'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


# -- percentages that do not mislead ---------------------------------------------------------------

def _scaled(value: Fraction, places: int, *, down: bool) -> int:
    """value as a percentage in units of 10**-places percent, rounded down or half up (in integers,
    exactly)."""
    numerator = value.numerator * 100 * 10**places
    if down:
        return numerator // value.denominator
    return (2 * numerator + value.denominator) // (2 * value.denominator)


def _text(units: int, places: int) -> str:
    if not places:
        return f"{units}%"
    whole, part = divmod(units, 10**places)
    return f"{whole}.{part:0{places}d}%"


def _threshold_places(threshold: Fraction) -> int:
    """Decimals that show the threshold exactly, if two or fewer do (60%, 60.5%, 60.25%); else
    none, so 2/3 reads as the familiar 67%."""
    for places in range(3):
        if threshold.numerator * 100 * 10**places % threshold.denominator == 0:
            return places
    return 0


def _faithful(units: int, value: Fraction, places: int) -> bool:
    """Whether a shown percentage keeps to the ends: 0% only for nothing, 100% only for all."""
    return (units > 0 or value == 0) and (units < 100 * 10**places or value == 1)


def _shown_threshold(threshold: Fraction, places: int) -> tuple[int, int]:
    """The threshold rounded to nearest, from ``places`` decimals, with more until it is faithful
    (1 - 1/100000 does not read as 100%). Returns (units, places)."""
    while not _faithful(units := _scaled(threshold, places, down=False), threshold, places):
        places += 1
    return units, places


def _percents_below(ratios: Sequence[Fraction], threshold: Fraction) -> tuple[list[str], str]:
    """Ratios under the threshold, and the threshold, as percentages: the threshold rounded to
    nearest, with more decimals until it reads higher than every ratio (0.6001 reads 60.01%, not
    60%, beside a ratio of 60%); each ratio rounded down to as many decimals, so it reads lower than
    the threshold, with more only when it would read 0% without being so."""
    units, places = _shown_threshold(threshold, _threshold_places(threshold))
    while any(r * 100 >= Fraction(units, 10**places) for r in ratios):
        units, places = _shown_threshold(threshold, places + 1)
    shown = []
    for ratio in ratios:
        ratio_places = places
        while not _faithful(ratio_units := _scaled(ratio, ratio_places, down=True), ratio, ratio_places):
            ratio_places += 1
        shown.append(_text(ratio_units, ratio_places))
    return shown, _text(units, places)


def _percent_reached(ratio: Fraction, threshold: Fraction) -> str:
    """A ratio at or over the threshold, rounded to nearest, with more decimals until it reads at
    least the threshold as the threshold reads on its own, and is faithful. (This ends: at the
    threshold's decimals the first holds, rounding being monotonic; a ratio that is not faithful
    there lies strictly above the shown threshold, so more decimals bring both.)"""
    threshold_units, threshold_places = _shown_threshold(threshold, _threshold_places(threshold))
    shown_threshold = Fraction(threshold_units, 10**threshold_places)
    places = 0
    while True:
        units = _scaled(ratio, places, down=False)
        if Fraction(units, 10**places) >= shown_threshold and _faithful(units, ratio, places):
            return _text(units, places)
        places += 1
