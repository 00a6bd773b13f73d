"""Properties of the tally engine under hypothesis."""
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from consultations.engine.tally import POSITIONS, Ballot, Rule, tally

groups = st.sampled_from(["dev", "ind", "cs", None])
targets = st.sampled_from([None, "a", "b"])
ballot_lists = st.lists(st.tuples(groups, targets, st.sampled_from(POSITIONS)), max_size=60).map(
    lambda rows: [Ballot(f"v{i}", g, t, p) for i, (g, t, p) in enumerate(rows)]
)
rules = st.builds(
    Rule,
    quorum=st.integers(0, 5),
    threshold=st.sampled_from(["1/2", "2/3", "0.6", "3/4", "1"]),
    blocks_prevent_consensus=st.booleans(),
    require_every_group=st.booleans(),
)


@given(ballot_lists, rules)
@settings(max_examples=200, deadline=None)
def test_counts_add_up(ballots, rule):
    for t in tally(ballots, rule):
        assert sum(t.counts.values()) == t.voters
        assert t.voters == sum(1 for b in ballots if b.target == t.anchor)
        for position in POSITIONS:
            assert sum(g.counts[position] for g in t.by_group.values()) == t.counts[position]


@given(ballot_lists, rules, st.randoms())
@settings(max_examples=100, deadline=None)
def test_order_does_not_matter(ballots, rule, rng):
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    assert [t.to_dict() for t in tally(ballots, rule)] == [t.to_dict() for t in tally(shuffled, rule)]


@given(ballot_lists.filter(bool), rules, st.data())
@settings(max_examples=150, deadline=None)
def test_changing_one_vote_moves_exactly_one_count(ballots, rule, data):
    i = data.draw(st.integers(0, len(ballots) - 1))
    new_position = data.draw(st.sampled_from([p for p in POSITIONS if p != ballots[i].position]))
    changed = list(ballots)
    changed[i] = Ballot(ballots[i].voter, ballots[i].group, ballots[i].target, new_position)
    targets = [None, "a", "b"]
    before = {t.anchor: t for t in tally(ballots, rule, targets=targets)}
    after = {t.anchor: t for t in tally(changed, rule, targets=targets)}
    for anchor in targets:
        delta = {p: after[anchor].counts[p] - before[anchor].counts[p] for p in POSITIONS}
        if anchor == ballots[i].target:
            assert delta[ballots[i].position] == -1 and delta[new_position] == 1
            assert sum(abs(d) for d in delta.values()) == 2
        else:
            assert all(d == 0 for d in delta.values())


@given(ballot_lists, rules)
@settings(max_examples=200, deadline=None)
def test_status_matches_a_brute_force_rederivation(ballots, rule):
    for t in tally(ballots, rule):
        mine = [b for b in ballots if b.target == t.anchor]
        support = sum(b.position == "support" for b in mine)
        against = sum(b.position == "oppose" or (b.position == "block" and not rule.blocks_prevent_consensus) for b in mine)
        blocks = sum(b.position == "block" for b in mine)

        def ratio_ok(members):
            s = sum(b.position == "support" for b in members)
            a = sum(b.position == "oppose" or (b.position == "block" and not rule.blocks_prevent_consensus) for b in members)
            return s + a == 0 or Fraction(s, s + a) >= rule.threshold

        if len(mine) < rule.quorum:
            expected = "no-quorum"
        elif blocks and rule.blocks_prevent_consensus:
            expected = "blocked"
        elif support + against == 0 or Fraction(support, support + against) < rule.threshold:
            expected = "contested"
        elif rule.require_every_group and not all(
            ratio_ok([b for b in mine if (b.group or "unaffiliated") == g]) for g in {b.group or "unaffiliated" for b in mine}
        ):
            expected = "contested"
        else:
            expected = "consensus"
        assert t.status == expected
