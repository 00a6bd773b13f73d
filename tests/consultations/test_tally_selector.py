"""The tally as the selectors give it: counted by the database, judged by the engine. The database's
aggregate equals the engine run on the same ballots; the status and sentence are right on the
edges; query counts do not grow with the number of votes or clauses."""
import random

import pytest

from consultations.engine.tally import Ballot, Rule, parse_threshold, tally
from consultations.models import Vote
from consultations.selectors import votes as selectors
from consultations.services import votes as services

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round
from .votes_helpers import ensure_group, make_voter

pytestmark = pytest.mark.django_db

BLOCK_WHY = "This would exclude samples that matter."


def cast(user, round, position, anchor="purpose", rationale=""):
    if position == "block" and not rationale:
        rationale = BLOCK_WHY
    return services.vote_cast(actor=user, round=round, anchor=anchor, position=position, rationale=rationale)


def target(round, anchor="purpose") -> dict:
    data = selectors.round_tally(round)
    return next(t for t in data["targets"] if t["anchor"] == (anchor or None))


def voters(groups_and_counts):
    """[(group slug, n)] -> users, named after their group."""
    made = []
    for slug, n in groups_and_counts:
        group = ensure_group(slug)
        made += [make_voter(f"{slug}-{i}", group) for i in range(n)]
    return made


def test_targets_are_the_whole_version_first_then_every_clause_in_order(facilitator, v1):
    round = make_round(facilitator, v1)
    data = selectors.round_tally(round)
    assert [t["anchor"] for t in data["targets"]] == [None, "sample", "purpose", "criteria-li1", "criteria-li2"]
    assert data["rule"] == {"quorum": 1, "threshold": "2/3", "blocks_prevent_consensus": True,
                            "require_every_group": False, "public_votes": False}
    empty = data["targets"][0]
    assert empty["counts"] == {"support": 0, "oppose": 0, "abstain": 0, "block": 0}
    assert (empty["voters"], empty["status"], empty["needed"]) == (0, "no-quorum", "needs 1 more voter for quorum")


def test_database_aggregation_equals_the_engine_on_the_same_ballots(facilitator, v1):
    round = make_round(facilitator, v1, quorum=3, threshold="0.6", require_every_group=True)
    people = voters([("developers", 4), ("industry", 3), ("academia", 3)])
    rng = random.Random(6)
    anchors = ["", "sample", "purpose", "criteria-li1", "criteria-li2"]
    for user in people:
        for anchor in anchors:
            if rng.random() < 0.75:
                cast(user, round, rng.choice(["support", "support", "oppose", "abstain", "block"]), anchor=anchor)
    for user in people[:4]:  # some change their minds
        cast(user, round, "oppose", anchor="purpose")
    ballots = [
        Ballot(voter=str(v.voter_id), group=v.group.slug, target=v.anchor, position=v.position)
        for v in Vote.objects.select_related("group")
    ]
    rule = Rule(quorum=3, threshold=parse_threshold("0.6"), blocks_prevent_consensus=True, require_every_group=True)
    expected = [t.to_dict() for t in tally(ballots, rule, targets=anchors)]
    for item in expected:
        item["anchor"] = item["anchor"] or None
    assert selectors.round_tally(round)["targets"] == expected
    assert sum(t["voters"] for t in expected) == Vote.objects.count()


def test_exactly_at_the_threshold_is_consensus(facilitator, v1):
    round = make_round(facilitator, v1, quorum=3, threshold="2/3")
    a, b, c = voters([("developers", 3)])
    cast(a, round, "support")
    cast(b, round, "support")
    cast(c, round, "oppose")
    t = target(round)
    assert t["status"] == "consensus"
    assert t["needed"] == "consensus: 67% support across 1 group"
    assert t["support_ratio"] == pytest.approx(2 / 3, abs=1e-4)


def test_just_under_a_decimal_threshold_is_contested(facilitator, v1):
    round = make_round(facilitator, v1, quorum=1, threshold="0.6")
    people = voters([("developers", 5)])
    for user, position in zip(people, ["support", "support", "oppose", "oppose", "abstain"]):
        cast(user, round, position)
    t = target(round)
    assert t["status"] == "contested"
    assert t["needed"] == "at 50% support, below the 60% threshold; needs 1 more support vote"
    cast(people[4], round, "support")  # 3 / 5 = 0.6 exactly
    assert target(round)["status"] == "consensus"


def test_one_voter_short_of_quorum(facilitator, v1):
    round = make_round(facilitator, v1, quorum=3)
    a, b, c = voters([("developers", 3)])
    cast(a, round, "support")
    cast(b, round, "abstain")
    t = target(round)
    assert (t["status"], t["needed"], t["voters"]) == ("no-quorum", "needs 1 more voter for quorum", 2)
    cast(c, round, "support")
    assert target(round)["status"] == "consensus"


def test_one_group_under_the_threshold_with_require_every_group(facilitator, v1):
    round = make_round(facilitator, v1, quorum=1, threshold="2/3", require_every_group=True)
    devs = voters([("developers", 4)])
    industry = voters([("industry", 2)])
    for user in devs:
        cast(user, round, "support")
    cast(industry[0], round, "support")
    cast(industry[1], round, "oppose")
    t = target(round)
    # 5 / 6 overall reaches 2/3, but industry is at 1 / 2.
    assert t["status"] == "contested"
    assert t["needed"] == "industry at 50% support, below the 67% threshold every group must reach"
    assert t["by_group"]["industry"] == {"counts": {"support": 1, "oppose": 1, "abstain": 0, "block": 0},
                                         "voters": 2, "support_ratio": 0.5}
    assert t["divisiveness"] > 0
    cast(industry[1], round, "support")
    assert target(round)["status"] == "consensus"


def test_the_same_votes_without_require_every_group_are_consensus(facilitator, v1):
    round = make_round(facilitator, v1, quorum=1, threshold="2/3", require_every_group=False)
    devs = voters([("developers", 4)])
    industry = voters([("industry", 2)])
    for user in devs + industry[:1]:
        cast(user, round, "support")
    cast(industry[1], round, "oppose")
    assert target(round)["status"] == "consensus"


def test_a_block_changed_to_oppose(facilitator, v1):
    round = make_round(facilitator, v1, quorum=3, threshold="2/3")
    people = voters([("developers", 4)])
    for user in people[:3]:
        cast(user, round, "support")
    cast(people[3], round, "block")
    t = target(round)
    assert (t["status"], t["needed"]) == ("blocked", "blocked by 1 objection")
    cast(people[3], round, "oppose")
    t = target(round)
    assert t["counts"] == {"support": 3, "oppose": 1, "abstain": 0, "block": 0}
    assert (t["status"], t["needed"]) == ("consensus", "consensus: 75% support across 1 group")


def test_blocks_count_as_opposition_when_they_do_not_prevent_consensus(facilitator, v1):
    round = make_round(facilitator, v1, quorum=1, threshold="2/3", blocks_prevent_consensus=False)
    people = voters([("developers", 3)])
    cast(people[0], round, "support")
    cast(people[1], round, "block")
    t = target(round)
    assert t["status"] == "contested" and t["support_ratio"] == 0.5


def test_the_round_page_context_has_a_fixed_number_of_queries(facilitator, v1, django_assert_max_num_queries):
    round = make_round(facilitator, v1)
    people = voters([("developers", 3), ("industry", 3)])
    for user in people:
        for anchor in ["", "purpose", "criteria-li1"]:
            cast(user, round, "support", anchor=anchor)
    clauses = list(v1.clauses.order_by("ordinal"))
    round = type(round).objects.prefetch_related("eligible_groups").get(pk=round.pk)
    with django_assert_max_num_queries(5):
        context = selectors.round_vote_context(people[0], round, clauses)
    mine = {c.anchor: c.wb_votes.mine for c in clauses}
    assert mine == {"sample": None, "purpose": "support", "criteria-li1": "support", "criteria-li2": None}
    assert context["whole_votes"].mine == "support" and context["can_vote"]
    purpose = next(c for c in clauses if c.anchor == "purpose").wb_votes
    assert purpose.bar.segments == [("support", "Support", 6, 100.0)]
    assert [(slug, bar.voters) for slug, _name, bar, _s in purpose.groups] == [("developers", 3), ("industry", 3)]


def test_results_group_targets_by_status_and_rank_divisive_and_consensual(facilitator, v1):
    round = make_round(facilitator, v1, quorum=2, threshold="2/3")
    devs = voters([("developers", 3)])
    legal = voters([("legal", 3)])
    for user in devs:
        cast(user, round, "support", anchor="purpose")
        cast(user, round, "support", anchor="criteria-li1")
    for user in legal:
        cast(user, round, "oppose", anchor="purpose")
        cast(user, round, "support", anchor="criteria-li1")
    cast(devs[0], round, "block", anchor="criteria-li2")
    cast(devs[1], round, "support", anchor="criteria-li2")
    results = selectors.round_results(round)
    by_status = {status: [r.anchor for r in rows] for status, _label, rows in results["by_status"]}
    assert by_status == {"consensus": ["criteria-li1"], "contested": ["purpose"], "blocked": ["criteria-li2"],
                         "no-quorum": ["", "sample"]}
    assert [r.anchor for r in results["most_divisive"]] == ["purpose"]
    assert [r.anchor for r in results["most_consensual"]] == ["criteria-li1"]
    assert results["total_voters"] == 6
