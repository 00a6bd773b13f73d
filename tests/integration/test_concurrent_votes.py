"""200 concurrent vote submissions by 50 voters on 4 targets, from a thread pool against PostgreSQL:
exactly one current vote per (voter, target), the current vote is the latest of its history, and
the tally equals a recount from the history."""
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from consultations.models import Vote, VoteChange
from consultations.selectors import votes as selectors
from consultations.services import votes as services
from workbench import services as people
from workbench.models import StakeholderGroup

from ..consultations.rounds_factories import V1, make_definition, make_round, make_version
from ..conftest import PASSWORD

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

TARGETS = ["", "purpose", "criteria-li1", "criteria-li2"]
POSITIONS = ["support", "oppose", "abstain", "block"]
WHY = "A rationale long enough for a block."


def test_concurrent_votes_keep_one_current_vote_and_agree_with_the_history():
    assert connection.vendor == "postgresql"
    groups = [StakeholderGroup.objects.create(slug=f"group-{i}", name=f"Group {i}") for i in range(5)]
    facilitator = people.user_sign_up(username="fran", password=PASSWORD)
    people.facilitator_grant(actor=None, user=facilitator)
    round = make_round(facilitator, make_version(make_definition(), "0.1", V1), quorum=3)
    voters = [people.user_sign_up(username=f"voter{i}", password=PASSWORD, group=groups[i % 5]) for i in range(50)]

    rng = random.Random(2024)
    # Each voter sends 4 submissions to targets drawn at random, so many (voter, target) pairs are hit
    # two or more times at once -- first inserts racing each other as well as updates.
    submissions = [(voter, rng.choice(TARGETS), rng.choice(POSITIONS)) for voter in voters for _ in range(4)]
    rng.shuffle(submissions)
    assert len(submissions) == 200
    assert max(Counter((v.pk, t) for v, t, _ in submissions).values()) >= 3

    def submit(item):
        voter, anchor, position = item
        try:
            return services.vote_cast(actor=voter, round=round, anchor=anchor, position=position,
                                      rationale=WHY if position == "block" else "")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(submit, submissions))

    assert len(results) == 200
    submitted_pairs = {(v.stakeholder.pk, t) for v, t, _ in submissions}
    current = list(Vote.objects.filter(round=round).values_list("voter_id", "anchor", "position"))
    pairs = [(voter, anchor) for voter, anchor, _ in current]
    assert len(pairs) == len(set(pairs)), "two current votes for one (voter, target)"
    assert set(pairs) == submitted_pairs

    # History: one row per effective change; its latest row per (voter, target) is the current vote.
    assert VoteChange.objects.filter(round=round).count() == sum(1 for r in results if r.changed)
    assert sum(1 for r in results if r.created) == len(submitted_pairs)
    latest = {}
    for voter, anchor, position in VoteChange.objects.filter(round=round).order_by("id").values_list(
        "voter_id", "anchor", "position"
    ):
        latest[(voter, anchor)] = position
    assert latest == {(voter, anchor): position for voter, anchor, position in current}

    # The tally (database aggregate + engine) equals a recount from the history.
    recount = Counter((anchor, position) for (_voter, anchor), position in latest.items())
    tally = {t["anchor"] or "": t for t in selectors.round_tally(round)["targets"]}
    for anchor in TARGETS:
        assert tally[anchor]["counts"] == {p: recount.get((anchor, p), 0) for p in POSITIONS}
        assert tally[anchor]["voters"] == sum(1 for (_v, a) in latest if a == anchor)
