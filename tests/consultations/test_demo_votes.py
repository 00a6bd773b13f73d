"""Demo votes: the demo rounds get votes from the demo users and 30 imported stakeholders across the
six groups; loading twice changes nothing; without the demo rounds nothing is made."""
import pytest
from django.db.models import Count

from consultations import demo_votes
from consultations.models import DraftingRound, Vote, VoteChange
from consultations.selectors import votes as selectors
from workbench import demo

pytestmark = pytest.mark.django_db


def test_demo_votes_fill_both_rounds_and_load_idempotently():
    summary = demo.load()
    rounds = {r.number: r for r in DraftingRound.objects.filter(definition__slug="open-model-definition")}
    assert set(rounds) == {1, 2}
    for number, round in rounds.items():
        votes = Vote.objects.filter(round=round)
        groups = set(votes.values_list("group__slug", flat=True))
        assert groups == {"developers", "civil-society", "industry", "academia", "legal", "government"}
        assert votes.values("voter").distinct().count() == 33  # 30 imported + alice, bob, carol
        statuses = {t["status"] for t in selectors.round_tally(round)["targets"] if t["voters"]}
        assert len(statuses) >= 2, statuses  # the bars show something to compare
    assert Vote.objects.get(round=rounds[2], voter__user__username="bob", position="block").rationale
    assert any(line.startswith("round 2:") for line in summary)

    before = (Vote.objects.count(), VoteChange.objects.count())
    demo.load()
    assert (Vote.objects.count(), VoteChange.objects.count()) == before
    assert not Vote.objects.values("round", "voter", "anchor").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_without_the_demo_rounds_nothing_is_made(db):
    assert demo_votes.load(users={}, groups={}) == ["demo votes skipped: the demo rounds are not there"]
    assert not Vote.objects.exists()
