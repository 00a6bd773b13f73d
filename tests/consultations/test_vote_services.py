"""Vote services: casting, changing (with history and audit), re-casting the same position, the
whole version as a target, and the import's bookkeeping of changes."""
import pytest

from consultations.models import Vote, VoteChange
from consultations.services import votes as services
from workbench.models import AuditEvent

from .rounds_factories import *  # noqa: F401,F403
from .votes_helpers import current_counts, recount_from_history

pytestmark = pytest.mark.django_db


def cast(user, round, anchor="purpose", position="support", rationale=""):
    return services.vote_cast(actor=user, round=round, anchor=anchor, position=position, rationale=rationale)


def test_first_vote_is_created_with_history_and_audit(stakeholder, open_round):
    result = cast(stakeholder, open_round, position="support")
    assert result.created and result.changed and result.previous is None
    vote = Vote.objects.get()
    assert (vote.anchor, vote.position, vote.voter.user, vote.group.slug) == ("purpose", "support", stakeholder, "developers")
    change = VoteChange.objects.get()
    assert (change.anchor, change.position, change.voter_id, change.group_id) == ("purpose", "support", vote.voter_id, vote.group_id)
    event = AuditEvent.objects.get(verb="vote.cast")
    assert event.scope == "definition:sample"
    assert event.data == {"round": open_round.number, "anchor": "purpose", "position": "support", "previous": None}


def test_changing_a_vote_replaces_it_and_keeps_the_history(stakeholder, open_round):
    cast(stakeholder, open_round, position="support")
    result = cast(stakeholder, open_round, position="block", rationale="  This clause would exclude most real samples.  ")
    assert not result.created and result.changed and result.previous == "support"
    vote = Vote.objects.get()
    assert vote.position == "block" and vote.rationale == "This clause would exclude most real samples."
    assert list(VoteChange.objects.values_list("position", flat=True)) == ["support", "block"]
    assert AuditEvent.objects.filter(verb="vote.changed", data__previous="support", data__position="block").count() == 1


def test_casting_the_same_vote_again_changes_nothing(stakeholder, open_round):
    cast(stakeholder, open_round, position="oppose")
    again = cast(stakeholder, open_round, position="oppose")
    assert not again.created and not again.changed
    assert VoteChange.objects.count() == 1
    assert AuditEvent.objects.filter(verb__startswith="vote.").count() == 1


@pytest.mark.parametrize("anchor", [None, ""])
def test_the_whole_version_is_a_target_stored_as_empty_anchor(stakeholder, open_round, anchor):
    cast(stakeholder, open_round, anchor=anchor, position="abstain")
    cast(stakeholder, open_round, anchor="purpose", position="support")
    assert set(Vote.objects.values_list("anchor", "position")) == {("", "abstain"), ("purpose", "support")}


def test_positions_are_accepted_in_any_case_and_spacing(stakeholder, open_round):
    cast(stakeholder, open_round, position=" Support ")
    assert Vote.objects.get().position == "support"


def test_votes_of_different_voters_are_independent(stakeholder, other_stakeholder, open_round):
    cast(stakeholder, open_round, position="support")
    cast(other_stakeholder, open_round, position="oppose")
    cast(stakeholder, open_round, position="abstain")
    assert current_counts(open_round) == recount_from_history(open_round)
    assert current_counts(open_round) == {("purpose", "abstain"): 1, ("purpose", "oppose"): 1}


def test_the_group_snapshot_follows_the_latest_change(stakeholder, groups, open_round):
    from workbench import services as people

    cast(stakeholder, open_round, position="support")
    people.profile_update(user=stakeholder, group=groups["industry"])
    cast(stakeholder, open_round, position="oppose")
    assert Vote.objects.get().group.slug == "industry"
    assert list(VoteChange.objects.values_list("group__slug", flat=True)) == ["developers", "industry"]
