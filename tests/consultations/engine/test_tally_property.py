"""Properties of the tally engine under hypothesis: counts add up, one changed vote moves one count,
ballot order does not matter, the status and the support votes needed agree with a brute-force
re-derivation in Fractions, and the percentages in sentences never read as reaching what they have
not."""
from __future__ import annotations

import math
import re
from collections import Counter
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from consultations.engine.tally import POSITIONS, UNAFFILIATED, Ballot, Rule, parse_threshold, tally, tally_counts

GROUPS = ["developers", "industry", "legal", None]
TARGETS = [None, "a", "b"]

# Up to 16 voters, each in one group, each with at most one ballot per target.
ballot_lists = st.lists(
    st.tuples(st.integers(0, 15), st.sampled_from(TARGETS), st.sampled_from(POSITIONS)),
    unique_by=lambda row: (row[0], row[1]),
    max_size=48,
).map(lambda rows: [Ballot(f"voter-{v}", GROUPS[v % len(GROUPS)], target, position) for v, target, position in rows])

thresholds = st.one_of(
    st.sampled_from(["1/2", "2/3", "0.6", "3/4", "1"]),
    st.fractions(min_value=Fraction(1, 12), max_value=1, max_denominator=12),
)

rules = st.builds(
    Rule,
    quorum=st.integers(0, 6),
    threshold=thresholds,
    blocks_prevent_consensus=st.booleans(),
    require_every_group=st.booleans(),
)


def on(ballots: list[Ballot], target) -> list[Ballot]:
    return [b for b in ballots if b.target == target]


def slug(ballot: Ballot) -> str:
    return UNAFFILIATED if ballot.group is None else ballot.group


def support_and_against(ballots: list[Ballot]) -> tuple[int, int]:
    positions = Counter(b.position for b in ballots)
    return positions["support"], positions["oppose"] + positions["block"]


def reaches(support: int, against: int, threshold: Fraction) -> bool:
    return Fraction(support, support + against) >= threshold


@given(ballot_lists, rules)
@settings(max_examples=200, deadline=None)
def test_counts_add_up(ballots, rule):
    for result in tally(ballots, rule, targets=TARGETS):
        mine = on(ballots, result.anchor)
        assert result.voters == len(mine) == sum(result.counts.values())
        assert result.counts == {p: sum(b.position == p for b in mine) for p in POSITIONS}
        assert set(result.by_group) == {slug(b) for b in mine}
        for position in POSITIONS:
            assert sum(g.counts[position] for g in result.by_group.values()) == result.counts[position]
        for name, group in result.by_group.items():
            assert group.voters == sum(group.counts.values()) == sum(slug(b) == name for b in mine)


@given(ballot_lists.filter(bool), rules, st.data())
@settings(max_examples=200, deadline=None)
def test_changing_one_vote_moves_exactly_one_count_and_nothing_else(ballots, rule, data):
    i = data.draw(st.integers(0, len(ballots) - 1))
    old = ballots[i]
    new_position = data.draw(st.sampled_from([p for p in POSITIONS if p != old.position]))
    changed = [*ballots[:i], Ballot(old.voter, old.group, old.target, new_position), *ballots[i + 1:]]
    before = {t.anchor: t for t in tally(ballots, rule, targets=TARGETS)}
    after = {t.anchor: t for t in tally(changed, rule, targets=TARGETS)}
    expected_delta = {p: (p == new_position) - (p == old.position) for p in POSITIONS}
    for anchor in TARGETS:
        if anchor != old.target:
            assert after[anchor].to_dict() == before[anchor].to_dict()
            continue
        was, now = before[anchor], after[anchor]
        assert {p: now.counts[p] - was.counts[p] for p in POSITIONS} == expected_delta
        assert now.voters == was.voters and set(now.by_group) == set(was.by_group)
        for name in was.by_group:
            if name == slug(old):
                delta = {p: now.by_group[name].counts[p] - was.by_group[name].counts[p] for p in POSITIONS}
                assert delta == expected_delta
            else:
                assert now.by_group[name] == was.by_group[name]


@given(ballot_lists, rules, st.randoms(use_true_random=False))
@settings(max_examples=100, deadline=None)
def test_the_tally_does_not_depend_on_ballot_order(ballots, rule, rng):
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    assert [t.to_dict() for t in tally(shuffled, rule)] == [t.to_dict() for t in tally(ballots, rule)]


@given(ballot_lists, rules)
@settings(max_examples=300, deadline=None)
def test_the_status_matches_a_brute_force_rederivation(ballots, rule):
    for result in tally(ballots, rule, targets=TARGETS):
        mine = on(ballots, result.anchor)
        support, against = support_and_against(mine)
        blocks = sum(b.position == "block" for b in mine)
        groups = {slug(b) for b in mine}
        group_votes = {g: support_and_against([b for b in mine if slug(b) == g]) for g in groups}
        if len(mine) < rule.quorum:
            expected = "no-quorum"
        elif blocks and rule.blocks_prevent_consensus:
            expected = "blocked"
        elif support + against == 0 or not reaches(support, against, rule.threshold):
            expected = "contested"
        elif rule.require_every_group and any(
            s + a and not reaches(s, a, rule.threshold) for s, a in group_votes.values()
        ):
            expected = "contested"
        else:
            expected = "consensus"
        assert result.status == expected
        assert result.ratio == (Fraction(support, support + against) if support + against else None)


@given(ballot_lists, rules)
@settings(max_examples=100, deadline=None)
def test_aggregated_rows_give_the_same_tally_as_the_ballots(ballots, rule):
    rows = Counter((b.target, b.group, b.position) for b in ballots)
    from_rows = tally_counts([(t, g, p, n) for (t, g, p), n in rows.items()], rule, targets=TARGETS)
    assert [t.to_dict() for t in from_rows] == [t.to_dict() for t in tally(ballots, rule, targets=TARGETS)]


@given(ballot_lists, rules)
@settings(max_examples=100, deadline=None)
def test_divisiveness_stays_between_zero_and_one(ballots, rule):
    for result in tally(ballots, rule):
        with_a_ratio = [g for g in result.by_group.values() if g.ratio is not None]
        assert 0 <= result.divisiveness <= 1
        if len(with_a_ratio) < 2 or len({g.ratio for g in with_a_ratio}) == 1:
            assert result.divisiveness == 0


# -- sentences at the edges of the threshold ---------------------------------------------------------

exact_thresholds = st.fractions(min_value=Fraction(1, 10**5), max_value=1, max_denominator=10**5).filter(bool)


@st.composite
def near_the_threshold(draw) -> tuple[int, int, Fraction]:
    """(support, against, threshold) with the ratio at, or a vote or two either side of, the threshold."""
    threshold = draw(exact_thresholds)
    expressed = draw(st.integers(1, 10**6))
    support = math.ceil(threshold * expressed) + draw(st.integers(-2, 1))
    support = min(max(support, 0), expressed)
    return support, expressed - support, threshold


def one_target(support: int, against: int, threshold: Fraction):
    rows = [("a", "developers", "support", support), ("a", "industry", "oppose", against)]
    return tally_counts(rows, Rule(threshold=threshold, quorum=0))[0]


PERCENT = r"(\d+(?:\.\d+)?)%"


@given(near_the_threshold())
@settings(max_examples=500, deadline=None)
def test_a_ratio_under_the_threshold_always_reads_lower_than_it(case):
    support, against, threshold = case
    result = one_target(support, against, threshold)
    if result.status != "contested":
        return
    match = re.fullmatch(rf"at {PERCENT} support, below the {PERCENT} threshold; .*", result.needed)
    assert match, result.needed
    shown, shown_threshold = (Fraction(Decimal(m)) for m in match.groups())
    ratio = Fraction(support, support + against)
    assert shown < shown_threshold
    assert shown <= ratio * 100  # rounded down
    assert (shown > 0) == (ratio > 0)
    assert shown_threshold < 100 or threshold == 1


@given(near_the_threshold())
@settings(max_examples=500, deadline=None)
def test_a_ratio_at_or_over_the_threshold_never_reads_under_it_nor_as_unanimous_unless_it_is(case):
    support, against, threshold = case
    result = one_target(support, against, threshold)
    if result.status != "consensus":
        return
    # The threshold as it reads on its own, beside a ratio of 0.
    alone = re.search(rf"the {PERCENT} threshold", one_target(0, 1, threshold).needed)
    shown = re.fullmatch(rf"consensus: {PERCENT} support across 2 groups|consensus: {PERCENT} support across 1 group",
                         result.needed)
    assert alone and shown, result.needed
    shown_ratio = Fraction(Decimal(shown[1] or shown[2]))
    assert shown_ratio >= Fraction(Decimal(alone[1]))
    assert (shown_ratio == 100) == (against == 0)


@given(near_the_threshold())
@settings(max_examples=300, deadline=None)
def test_the_support_votes_needed_are_exactly_enough_and_no_fewer(case):
    support, against, threshold = case
    result = one_target(support, against, threshold)
    if result.status != "contested" or threshold == 1:
        return
    more = int(re.search(r"needs (\d+) more support votes?$", result.needed)[1])
    assert more >= 1
    assert reaches(support + more, against, threshold)
    assert not reaches(support + more - 1, against, threshold)
    assert one_target(support + more, against, threshold).status == "consensus"


@given(st.fractions(min_value=0, max_value=1, max_denominator=10**6).filter(bool))
def test_a_threshold_written_as_a_fraction_reads_back_exactly(threshold):
    written = f"{threshold.numerator}/{threshold.denominator}"
    assert parse_threshold(written) == threshold
    assert parse_threshold(Rule(threshold=written).to_dict()["threshold"]) == threshold


@given(st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4))
def test_a_threshold_written_as_a_decimal_or_percentage_reads_back_exactly(value):
    assert parse_threshold(str(value)) == Fraction(value)
    assert parse_threshold(f"{value * 100}%") == Fraction(value)
