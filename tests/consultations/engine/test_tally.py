"""The tally engine: statuses and sentences on the edges, exact thresholds, groups, divisiveness."""
from fractions import Fraction

import pytest

from consultations.engine.tally import Ballot, Rule, parse_threshold, tally, tally_counts


def votes(*specs, target="c1"):
    """specs: (group, position, how many)"""
    ballots, n = [], 0
    for group, position, count in specs:
        for _ in range(count):
            ballots.append(Ballot(f"v{n}", group, target, position))
            n += 1
    return ballots


def one(ballots, **rule):
    return tally(ballots, Rule(**rule))[0]


@pytest.mark.parametrize("text,value", [("2/3", Fraction(2, 3)), ("0.6", Fraction(3, 5)), ("60%", Fraction(3, 5)),
                                        ("1", Fraction(1)), (" 1/2 ", Fraction(1, 2)), (Fraction(3, 4), Fraction(3, 4))])
def test_parse_threshold_is_exact(text, value):
    assert parse_threshold(text) == value


@pytest.mark.parametrize("text", ["0", "3/2", "abc", "1/0", "-0.5", "", "1.5"])
def test_parse_threshold_refuses_bad_input_with_a_message(text):
    with pytest.raises(ValueError, match="threshold"):
        parse_threshold(text)


def test_exactly_at_the_threshold_is_consensus():
    t = one(votes(("dev", "support", 2), ("ind", "oppose", 1)), threshold="2/3")
    assert t.status == "consensus"
    assert t.needed == "consensus: 67% support across 2 groups"


def test_one_support_vote_short_is_contested_and_says_how_many_more():
    t = one(votes(("dev", "support", 3), ("ind", "oppose", 2)), threshold="2/3")
    assert t.status == "contested"
    assert t.needed == "at 60% support, below the 67% threshold; needs 1 more support vote"


def test_just_below_threshold_never_displays_as_reaching_it():
    # 666/1000 rounds to 67% but is below 2/3: the sentence floors it.
    t = one(votes(("dev", "support", 666), ("ind", "oppose", 334)), threshold="2/3")
    assert t.status == "contested"
    assert t.needed.startswith("at 66% support, below the 67% threshold")


def test_one_voter_short_of_quorum():
    t = one(votes(("dev", "support", 4)), quorum=5)
    assert t.status == "no-quorum"
    assert t.needed == "needs 1 more voter for quorum"


def test_quorum_counts_abstentions_as_voters():
    t = one(votes(("dev", "support", 2), ("dev", "abstain", 1)), quorum=3)
    assert t.status == "consensus"


def test_one_group_under_threshold_with_require_every_group():
    ballots = votes(("dev", "support", 4), ("cs", "support", 4), ("industry", "support", 1), ("industry", "oppose", 1))
    assert one(ballots).status == "consensus"
    t = one(ballots, require_every_group=True)
    assert t.status == "contested"
    assert t.needed == "industry at 50% support, below the 67% threshold every group must reach"


def test_block_then_changed_to_oppose():
    before = votes(("dev", "support", 5), ("ind", "block", 1))
    t = one(before)
    assert (t.status, t.needed) == ("blocked", "blocked by 1 objection")
    after = [b if b.position != "block" else Ballot(b.voter, b.group, b.target, "oppose") for b in before]
    t = one(after)
    assert t.status == "consensus" and t.counts["block"] == 0 and t.counts["oppose"] == 1


def test_blocks_count_as_oppose_when_they_do_not_prevent_consensus():
    t = one(votes(("dev", "support", 1), ("ind", "block", 1)), blocks_prevent_consensus=False)
    assert t.status == "contested"
    assert t.ratio == Fraction(1, 2)


def test_only_abstentions_is_contested_with_a_clear_sentence():
    t = one(votes(("dev", "abstain", 3)))
    assert t.status == "contested" and t.ratio is None
    assert "abstained" in t.needed


def test_targets_without_votes_are_listed_as_needing_quorum():
    result = tally([], Rule(quorum=2), targets=[None, "a", "b"])
    assert [(t.anchor, t.status, t.needed) for t in result] == [
        (None, "no-quorum", "needs 2 more voters for quorum"),
        ("a", "no-quorum", "needs 2 more voters for quorum"),
        ("b", "no-quorum", "needs 2 more voters for quorum"),
    ]


def test_unanimity_threshold_one():
    assert one(votes(("dev", "support", 3)), threshold="1").status == "consensus"
    assert one(votes(("dev", "support", 3), ("dev", "oppose", 1)), threshold="1").status == "contested"


def test_two_votes_by_one_voter_on_one_target_is_an_error():
    with pytest.raises(ValueError, match="two votes"):
        tally([Ballot("a", "dev", "x", "support"), Ballot("a", "dev", "x", "oppose")], Rule())


def test_divisiveness_is_zero_when_groups_agree_and_one_when_split():
    agree = one(votes(("dev", "support", 2), ("ind", "support", 2)))
    split = one(votes(("dev", "support", 2), ("ind", "oppose", 2)))
    assert agree.divisiveness == 0.0
    assert split.divisiveness == 1.0


def test_unaffiliated_voters_get_their_own_group():
    t = one([Ballot("a", None, "x", "support")])
    assert list(t.by_group) == ["unaffiliated"]


def test_to_dict_shape():
    t = one(votes(("dev", "support", 2), ("ind", "oppose", 1))).to_dict()
    assert set(t) == {"anchor", "counts", "voters", "support_ratio", "by_group", "status", "needed", "divisiveness"}
    assert t["support_ratio"] == 0.6667
    assert t["by_group"]["ind"] == {"counts": {"support": 0, "oppose": 1, "abstain": 0, "block": 0},
                                    "voters": 1, "support_ratio": 0.0}
    assert Rule(threshold="0.6").to_dict()["threshold"] == "3/5"


def test_tally_counts_matches_tally_on_the_same_votes():
    ballots = votes(("dev", "support", 3), ("ind", "oppose", 2), ("cs", "abstain", 1))
    rows = [("c1", "dev", "support", 3), ("c1", "ind", "oppose", 2), ("c1", "cs", "abstain", 1)]
    assert tally_counts(rows, Rule())[0].to_dict() == tally(ballots, Rule())[0].to_dict()
