"""The tally engine on the edges: every status and its sentence, exact thresholds, the quorum, blocks,
groups that must each agree, percentages that never read as reaching what they have not, divisiveness,
and the shape of what it returns."""
from __future__ import annotations

import json
import statistics
from decimal import Decimal
from fractions import Fraction

import pytest

from consultations.engine.tally import (
    POSITIONS,
    UNAFFILIATED,
    Ballot,
    Rule,
    TargetTally,
    parse_threshold,
    tally,
    tally_counts,
)


def ballots(*specs: tuple[str | None, str, int], target: str | None = "purpose", first: int = 0) -> list[Ballot]:
    """Ballots from (group, position, how many), each from a new voter."""
    made = []
    for group, position, count in specs:
        for _ in range(count):
            made.append(Ballot(f"voter-{first + len(made)}", group, target, position))
    return made


def judge(*specs: tuple[str | None, str, int], **rule) -> TargetTally:
    """The tally of one target from (group, position, how many) under Rule(**rule)."""
    (result,) = tally(ballots(*specs), Rule(**rule))
    return result


# -- the threshold -------------------------------------------------------------------------------

@pytest.mark.parametrize("given,exact", [
    ("2/3", Fraction(2, 3)),
    (" 1 / 2 ", Fraction(1, 2)),
    ("0.6", Fraction(3, 5)),
    (".75", Fraction(3, 4)),
    ("60%", Fraction(3, 5)),
    ("12.5 %", Fraction(1, 8)),
    ("1", Fraction(1)),
    (1, Fraction(1)),
    (0.6, Fraction(3, 5)),  # the decimal it prints as, not the nearest binary fraction
    (Decimal("0.75"), Fraction(3, 4)),
    (Fraction(2, 3), Fraction(2, 3)),
])
def test_parse_threshold_is_exact(given, exact):
    assert parse_threshold(given) == exact


@pytest.mark.parametrize("given", [
    "0", "3/2", "abc", "1/0", "-0.5", "-1/2", "", "   ", "1.5", "101%", "nan", "inf", "1e-1", "1/2/3",
    "2/", "٣/٤", "1" * 100, 0, 2, float("nan"), float("inf"), Decimal("NaN"), Fraction(0),
])
def test_parse_threshold_refuses_bad_input_with_a_message_naming_the_threshold(given):
    with pytest.raises(ValueError, match="threshold"):
        parse_threshold(given)


def test_a_threshold_with_a_huge_exponent_is_refused_before_any_arithmetic():
    # Fraction(Decimal("1e-999999999")) would build a billion-digit integer; both are refused first.
    with pytest.raises(ValueError, match="is not a fraction"):
        parse_threshold("1e-999999999")
    with pytest.raises(ValueError, match="more than 0 and at most 1"):
        parse_threshold(Decimal("1e-999999999"))
    with pytest.raises(ValueError, match="more than 0 and at most 1"):
        parse_threshold(Decimal("1e+999999999"))


@pytest.mark.parametrize("given", [True, None, [2, 3]])
def test_parse_threshold_refuses_other_types(given):
    with pytest.raises(TypeError, match="threshold"):
        parse_threshold(given)


# -- the rule ------------------------------------------------------------------------------------

def test_the_rule_stores_the_threshold_exactly_however_it_was_written():
    assert Rule(threshold="0.6") == Rule(threshold="3/5") == Rule(threshold="60%") == Rule(threshold=Fraction(3, 5))
    assert Rule(threshold="0.6").threshold == Fraction(3, 5)
    assert Rule().threshold == Fraction(2, 3)


def test_rule_to_dict_gives_the_threshold_as_an_exact_fraction_and_reads_back():
    rule = Rule(quorum=3, threshold="0.6", blocks_prevent_consensus=False, require_every_group=True, public_votes=True)
    data = rule.to_dict()
    assert data == {"quorum": 3, "threshold": "3/5", "blocks_prevent_consensus": False,
                    "require_every_group": True, "public_votes": True}
    assert Rule.from_dict(json.loads(json.dumps(data))) == rule
    assert Rule().to_dict()["threshold"] == "2/3"


@pytest.mark.parametrize("quorum", [-1, 1.5, True, "3"])
def test_the_rule_refuses_a_quorum_that_is_not_a_whole_number_of_voters(quorum):
    with pytest.raises(ValueError, match="quorum"):
        Rule(quorum=quorum)


def test_the_rule_refuses_a_threshold_out_of_range():
    with pytest.raises(ValueError, match="more than 0 and at most 1"):
        Rule(threshold="3/2")


# -- consensus and contested at the threshold ----------------------------------------------------

@pytest.mark.parametrize("threshold,support,oppose,sentence", [
    ("1/2", 1, 1, "consensus: 50% support across 1 group"),
    ("0.6", 3, 2, "consensus: 60% support across 1 group"),
    ("2/3", 2, 1, "consensus: 67% support across 1 group"),
    ("1", 4, 0, "consensus: 100% support across 1 group"),
])
def test_exactly_at_the_threshold_is_consensus(threshold, support, oppose, sentence):
    result = judge(("developers", "support", support), ("developers", "oppose", oppose), threshold=threshold)
    assert result.ratio == Fraction(support, support + oppose) == parse_threshold(threshold)
    assert (result.status, result.needed) == ("consensus", sentence)


@pytest.mark.parametrize("threshold,support,oppose,sentence", [
    ("1/2", 1, 2, "at 33% support, below the 50% threshold; needs 1 more support vote"),
    ("0.6", 2, 2, "at 50% support, below the 60% threshold; needs 1 more support vote"),
    ("2/3", 3, 2, "at 60% support, below the 67% threshold; needs 1 more support vote"),
    # No number of support votes reaches unanimity: the vote against has to change.
    ("1", 3, 1, "at 75% support, below the 100% threshold; needs 1 vote against to change"),
])
def test_one_vote_short_of_the_threshold_is_contested_and_says_what_is_needed(threshold, support, oppose, sentence):
    result = judge(("developers", "support", support), ("industry", "oppose", oppose), threshold=threshold)
    assert (result.status, result.needed) == ("contested", sentence)


def test_the_support_votes_needed_are_the_exact_minimum():
    result = judge(("developers", "support", 1), ("industry", "oppose", 5), threshold="2/3")
    assert result.needed == "at 16% support, below the 67% threshold; needs 9 more support votes"
    # 9 more reach 10/15 = 2/3 exactly; 8 more leave 9/14 under it.
    assert judge(("developers", "support", 10), ("industry", "oppose", 5)).status == "consensus"
    assert judge(("developers", "support", 9), ("industry", "oppose", 5)).status == "contested"


def test_consensus_counts_the_groups_that_voted():
    result = judge(("developers", "support", 4), ("legal", "support", 3), ("industry", "oppose", 1),
                   ("academia", "abstain", 1))
    assert result.needed == "consensus: 88% support across 4 groups"


# -- the quorum ----------------------------------------------------------------------------------

def test_one_voter_short_of_quorum():
    result = judge(("developers", "support", 4), quorum=5)
    assert (result.status, result.needed) == ("no-quorum", "needs 1 more voter for quorum")
    assert judge(("developers", "support", 5), quorum=5).status == "consensus"


def test_abstentions_and_blocks_count_towards_the_quorum():
    result = judge(("developers", "support", 1), ("developers", "abstain", 2), ("industry", "block", 1), quorum=5)
    assert (result.voters, result.needed) == (4, "needs 1 more voter for quorum")


def test_short_of_quorum_comes_before_blocks():
    result = judge(("industry", "block", 2), quorum=3)
    assert (result.status, result.needed) == ("no-quorum", "needs 1 more voter for quorum")


def test_targets_with_no_votes_are_short_of_quorum():
    results = tally([], Rule(quorum=3), targets=[None, "purpose"])
    assert [(t.anchor, t.status, t.needed, t.voters, t.ratio) for t in results] == [
        (None, "no-quorum", "needs 3 more voters for quorum", 0, None),
        ("purpose", "no-quorum", "needs 3 more voters for quorum", 0, None),
    ]


def test_no_votes_and_no_quorum_is_contested_with_nothing_to_go_on():
    (result,) = tally([], Rule(quorum=0), targets=["purpose"])
    assert (result.status, result.needed) == ("contested", "no votes yet")


# -- abstentions ---------------------------------------------------------------------------------

def test_only_abstentions_is_contested():
    result = judge(("developers", "abstain", 3))
    assert (result.status, result.ratio, result.support_ratio) == ("contested", None, None)
    assert result.needed == "no support or opposition yet: all 3 voters abstained"
    assert judge(("developers", "abstain", 1)).needed == "no support or opposition yet: the 1 voter abstained"


def test_abstentions_do_not_move_the_ratio():
    assert judge(("developers", "support", 2), ("industry", "oppose", 1), ("legal", "abstain", 7)).ratio == Fraction(2, 3)


# -- blocks --------------------------------------------------------------------------------------

def test_a_block_prevents_consensus_and_is_named():
    result = judge(("developers", "support", 9), ("industry", "block", 1))
    assert (result.status, result.needed) == ("blocked", "blocked by 1 objection")
    assert judge(("developers", "support", 9), ("industry", "block", 2)).needed == "blocked by 2 objections"


def test_blocks_dominate_a_ratio_below_the_threshold():
    result = judge(("developers", "support", 1), ("industry", "oppose", 5), ("legal", "block", 1))
    assert (result.status, result.needed) == ("blocked", "blocked by 1 objection")


def test_a_block_changed_to_an_oppose_leaves_the_ratio_to_decide():
    def changed(votes: list[Ballot]) -> list[Ballot]:
        return [Ballot(b.voter, b.group, b.target, "oppose" if b.position == "block" else b.position) for b in votes]

    enough = ballots(("developers", "support", 5), ("industry", "block", 1))
    short = ballots(("developers", "support", 1), ("industry", "block", 1))
    assert [tally(v, Rule())[0].status for v in (enough, short)] == ["blocked", "blocked"]
    after_enough, after_short = (tally(changed(v), Rule())[0] for v in (enough, short))
    assert (after_enough.status, after_enough.needed) == ("consensus", "consensus: 83% support across 2 groups")
    assert (after_short.status, after_short.needed) == (
        "contested", "at 50% support, below the 67% threshold; needs 1 more support vote")
    # The block already counted against support, so only the status moved.
    assert after_enough.ratio == tally(enough, Rule())[0].ratio == Fraction(5, 6)


def test_blocks_count_as_opposition_when_they_do_not_prevent_consensus():
    result = judge(("developers", "support", 1), ("industry", "block", 1), blocks_prevent_consensus=False)
    assert result.ratio == Fraction(1, 2)
    assert (result.status, result.needed) == (
        "contested", "at 50% support, below the 67% threshold; needs 1 more support vote")
    assert judge(("developers", "support", 2), ("industry", "block", 1), blocks_prevent_consensus=False).status == (
        "consensus")


def test_the_support_ratio_counts_blocks_against_support_whatever_the_rule():
    votes = (("developers", "support", 3), ("industry", "block", 1))
    assert judge(*votes).ratio == judge(*votes, blocks_prevent_consensus=False).ratio == Fraction(3, 4)


# -- every group must reach the threshold ----------------------------------------------------------

def test_one_group_under_the_threshold_with_require_every_group():
    votes = (("developers", "support", 4), ("legal", "support", 4), ("industry", "support", 1),
             ("industry", "oppose", 1))
    assert judge(*votes).status == "consensus"
    result = judge(*votes, require_every_group=True)
    assert (result.status, result.needed) == (
        "contested", "industry at 50% support, below the 67% threshold every group must reach")


def test_groups_under_the_threshold_are_named_worst_first():
    result = judge(("developers", "support", 20), ("industry", "support", 2), ("industry", "oppose", 3),
                   ("legal", "support", 1), ("legal", "oppose", 4), require_every_group=True)
    assert result.needed == "legal at 20% and industry at 40% support, below the 67% threshold every group must reach"


def test_at_most_three_groups_are_named_then_how_many_more():
    specs = [("developers", "support", 100)]
    for support, group in enumerate(["a", "b", "c", "d", "e"]):  # a is the worst: 0 of 10, then 1 of 10, ...
        specs += [(group, "support", support), (group, "oppose", 10 - support)]
    result = judge(*specs, require_every_group=True)
    assert result.needed == (
        "a at 0%, b at 10%, c at 20% support and 2 more groups, below the 67% threshold every group must reach")


def test_groups_tied_under_the_threshold_are_named_in_slug_order():
    result = judge(("developers", "support", 20), ("legal", "oppose", 1), ("industry", "oppose", 1),
                   require_every_group=True)
    assert result.needed.startswith("industry at 0% and legal at 0% support")


def test_a_group_that_only_abstained_does_not_hold_back_consensus():
    result = judge(("developers", "support", 3), ("industry", "abstain", 2), require_every_group=True)
    assert (result.status, result.needed) == ("consensus", "consensus: 100% support across 2 groups")


def test_voters_without_a_group_must_also_reach_the_threshold_as_a_group_of_their_own():
    result = judge(("developers", "support", 3), (None, "oppose", 1), require_every_group=True)
    assert result.needed == f"{UNAFFILIATED} at 0% support, below the 67% threshold every group must reach"


def test_the_overall_ratio_is_judged_before_the_groups():
    result = judge(("developers", "support", 1), ("industry", "oppose", 2), require_every_group=True)
    assert result.needed == "at 33% support, below the 67% threshold; needs 3 more support votes"


# -- percentages that never mislead --------------------------------------------------------------

def test_a_ratio_just_below_the_threshold_never_reads_as_reaching_it():
    # 666/1000 rounds to 67%, yet it is under 2/3: it is rounded down.
    result = judge(("developers", "support", 666), ("industry", "oppose", 334), threshold="2/3")
    assert result.status == "contested"
    assert result.needed == "at 66% support, below the 67% threshold; needs 2 more support votes"


def test_more_decimals_when_the_ratio_and_threshold_would_read_the_same():
    # 60% against a 60.01% threshold: whole percentages would read "at 60%, below the 60%".
    result = judge(("developers", "support", 6000), ("industry", "oppose", 4000), threshold="0.6001")
    assert result.needed.startswith("at 60.00% support, below the 60.01% threshold")


def test_a_threshold_that_rounds_down_gets_the_decimals_that_keep_it_above_the_ratio():
    # 4/9 is 44.44...%: "44%" would read under a ratio of 44.4%, and "44.4%" the same as it.
    result = judge(("developers", "support", 444), ("industry", "oppose", 556), threshold="4/9")
    assert result.needed.startswith("at 44.40% support, below the 44.44% threshold")
    assert judge(("developers", "support", 1), ("industry", "oppose", 3), threshold="4/9").needed.startswith(
        "at 25% support, below the 44% threshold")


def test_a_threshold_with_decimals_is_shown_with_them():
    result = judge(("developers", "support", 604), ("industry", "oppose", 396), threshold="0.605")
    assert result.needed.startswith("at 60.4% support, below the 60.5% threshold")


def test_a_little_support_never_reads_as_none():
    result = judge(("developers", "support", 1), ("industry", "oppose", 999))
    assert result.needed.startswith("at 0.1% support, below the 67% threshold")


def test_consensus_short_of_unanimity_never_reads_as_100_percent():
    assert judge(("developers", "support", 999), ("industry", "oppose", 1), threshold="0.9").needed == (
        "consensus: 99.9% support across 2 groups")


def test_consensus_never_reads_under_the_threshold():
    # 60.4% rounds to 60%, which would read under the 60.4% threshold it reached.
    assert judge(("developers", "support", 604), ("industry", "oppose", 396), threshold="0.604").needed == (
        "consensus: 60.4% support across 2 groups")


# -- divisiveness --------------------------------------------------------------------------------

def test_divisiveness_is_zero_when_the_groups_agree_whatever_their_sizes():
    result = judge(("developers", "support", 20), ("developers", "oppose", 10), ("industry", "support", 2),
                   ("industry", "oppose", 1))
    assert result.divisiveness == 0.0


def test_divisiveness_is_one_when_the_groups_are_split_each_group_weighing_the_same():
    assert judge(("developers", "support", 10), ("industry", "oppose", 1)).divisiveness == 1.0


def test_divisiveness_is_zero_with_fewer_than_two_groups_with_a_view():
    assert judge(("developers", "support", 2), ("developers", "oppose", 2)).divisiveness == 0.0
    assert judge(("developers", "support", 2), ("industry", "abstain", 2)).divisiveness == 0.0


def test_divisiveness_is_twice_the_population_standard_deviation_of_the_group_ratios():
    result = judge(("developers", "support", 4), ("legal", "support", 1), ("legal", "oppose", 1),
                   ("industry", "oppose", 3), ("academia", "support", 3), ("academia", "oppose", 1))
    ratios = [float(g.ratio) for g in result.by_group.values()]
    assert ratios == [0.75, 1.0, 0.0, 0.5]  # academia, developers, industry, legal
    assert result.divisiveness == round(2 * statistics.pstdev(ratios), 4)
    assert 0 < result.divisiveness < 1


# -- targets, ballots and rows ---------------------------------------------------------------------

def test_listed_targets_come_first_then_the_others_whole_version_first_then_by_anchor():
    votes = [Ballot("a", "developers", anchor, "support") for anchor in ["zeta", "alpha", None, "listed"]]
    results = tally(votes, Rule(), targets=["listed", "empty"])
    assert [t.anchor for t in results] == ["listed", "empty", None, "alpha", "zeta"]
    assert [t.voters for t in results] == [1, 0, 1, 1, 1]


def test_listing_a_target_twice_is_an_error():
    with pytest.raises(ValueError, match="more than once: clause 'purpose'"):
        tally([], Rule(), targets=["purpose", None, "purpose"])


def test_a_voter_with_two_votes_on_one_target_is_an_error():
    with pytest.raises(ValueError, match="Voter 'ana' has two votes on clause 'purpose'"):
        tally([Ballot("ana", "legal", "purpose", "support"), Ballot("ana", "legal", "purpose", "oppose")], Rule())
    with pytest.raises(ValueError, match="on the version as a whole"):
        tally([Ballot("ana", "legal", None, "support"), Ballot("ana", "legal", None, "support")], Rule())


def test_one_voter_may_vote_on_every_target():
    results = tally([Ballot("ana", "legal", t, "support") for t in [None, "a", "b"]], Rule())
    assert [t.voters for t in results] == [1, 1, 1]


def test_an_unknown_position_is_an_error():
    with pytest.raises(ValueError, match="Unknown position 'yes' on clause 'purpose'"):
        tally([Ballot("ana", "legal", "purpose", "yes")], Rule())


def test_a_negative_count_is_an_error():
    with pytest.raises(ValueError, match="cannot be negative"):
        tally_counts([("purpose", "legal", "support", -1)], Rule())


def test_voters_without_a_group_are_counted_as_unaffiliated():
    result = judge((None, "support", 2), ("legal", "oppose", 1))
    assert list(result.by_group) == ["legal", UNAFFILIATED]
    assert result.by_group[UNAFFILIATED].counts["support"] == 2


def test_tally_accepts_an_iterator_of_ballots():
    assert tally(iter(ballots(("legal", "support", 2))), Rule())[0].voters == 2


def test_tally_counts_from_aggregated_rows_equals_tally_from_ballots():
    votes = ballots(("developers", "support", 3), ("industry", "oppose", 2), (None, "abstain", 1), ("legal", "block", 1))
    rows = [("purpose", "developers", "support", 3), ("purpose", "industry", "oppose", 2),
            ("purpose", None, "abstain", 1), ("purpose", "legal", "block", 1)]
    assert tally_counts(rows, Rule())[0].to_dict() == tally(votes, Rule())[0].to_dict()


def test_rows_for_the_same_key_add_up_and_zero_counts_leave_no_empty_group():
    split = tally_counts([("purpose", "legal", "support", 2), ("purpose", "legal", "support", 1),
                          ("purpose", "industry", "oppose", 0)], Rule())[0]
    whole = tally_counts([("purpose", "legal", "support", 3)], Rule())[0]
    assert split.to_dict() == whole.to_dict()
    assert list(split.by_group) == ["legal"]


# -- the output ----------------------------------------------------------------------------------

def test_to_dict_is_ready_for_json_with_ratios_to_four_places():
    result = judge(("developers", "support", 2), ("industry", "oppose", 1), (None, "abstain", 1))
    data = json.loads(json.dumps(result.to_dict()))
    assert data == {
        "anchor": "purpose",
        "counts": {"support": 2, "oppose": 1, "abstain": 1, "block": 0},
        "voters": 4,
        "support_ratio": 0.6667,
        "by_group": {
            "developers": {"counts": {"support": 2, "oppose": 0, "abstain": 0, "block": 0}, "voters": 2,
                           "support_ratio": 1.0},
            "industry": {"counts": {"support": 0, "oppose": 1, "abstain": 0, "block": 0}, "voters": 1,
                         "support_ratio": 0.0},
            UNAFFILIATED: {"counts": {"support": 0, "oppose": 0, "abstain": 1, "block": 0}, "voters": 1,
                           "support_ratio": None},
        },
        "status": "consensus",
        "needed": "consensus: 67% support across 3 groups",
        "divisiveness": 1.0,
    }
    assert list(data["counts"]) == list(POSITIONS)


def test_the_package_re_exports_the_tally_names_without_shadowing_the_module():
    import consultations.engine as engine
    import consultations.engine.tally as module

    assert engine.Rule is module.Rule and engine.tally_counts is module.tally_counts
    assert engine.tally is module  # the submodule, not the function of the same name
