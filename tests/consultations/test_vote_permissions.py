"""Who may vote, and when: only stakeholders of the round's eligible groups, only while the round is
open. Every refusal is a domain error (and a 4xx with a message through the API) and stores nothing."""
import pytest
from django.contrib.auth.models import AnonymousUser

from consultations.models import DraftingRound, RoundState, Vote, VoteChange
from consultations.services import votes as services
from workbench.errors import Conflict, NotAllowed, ValidationFailed
from workbench.models import AuditEvent

from ..conftest import client_for
from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round

pytestmark = pytest.mark.django_db


def nothing_stored():
    return not Vote.objects.exists() and not VoteChange.objects.exists() and not AuditEvent.objects.filter(
        verb__startswith="vote"
    ).exists()


def cast(user, round, **kw):
    args = {"anchor": "purpose", "position": "support", "rationale": "", **kw}
    return services.vote_cast(actor=user, round=round, **args)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"position": "block"}, "at least 20 characters"),
        ({"position": "block", "rationale": "   too short          "}, "at least 20 characters"),
        ({"position": "veto"}, "Unknown position 'veto'"),
        ({"position": ""}, "Unknown position"),
        ({"anchor": "no-such-clause"}, "no clause with the anchor 'no-such-clause'"),
        ({"rationale": "x" * 20_001}, "limit is 20,000"),
        ({"rationale": "nul \x00"}, "NUL"),
    ],
)
def test_bad_votes_are_refused_and_nothing_is_stored(stakeholder, open_round, kwargs, message):
    with pytest.raises(ValidationFailed, match=message):
        cast(stakeholder, open_round, **kwargs)
    assert nothing_stored()


def test_a_block_with_a_rationale_of_exactly_20_characters_is_accepted(stakeholder, open_round):
    cast(stakeholder, open_round, position="block", rationale="  " + "x" * 20 + "  ")
    assert Vote.objects.get().position == "block"


def test_an_anchor_of_another_version_is_refused(stakeholder, facilitator, v2):
    round = make_round(facilitator, v2)
    with pytest.raises(ValidationFailed, match="criteria-li2"):
        cast(stakeholder, round, anchor="criteria-li2")  # in 0.1, not in 0.2
    assert nothing_stored()


@pytest.mark.parametrize("state, message", [(RoundState.SCHEDULED, "has not opened yet"), (RoundState.CLOSED, "voting is closed")])
def test_votes_only_while_the_round_is_open(stakeholder, facilitator, v1, state, message):
    round = make_round(facilitator, v1, state=state)
    with pytest.raises(Conflict, match=message):
        cast(stakeholder, round)
    assert nothing_stored()


def test_a_vote_after_the_round_closed_is_refused_even_with_a_stale_round_object(stakeholder, facilitator, open_round):
    from consultations.services import rounds as round_services

    stale = DraftingRound.objects.get(pk=open_round.pk)  # read before the close
    round_services.round_close(actor=facilitator, round=open_round)
    assert stale.state == RoundState.OPEN
    with pytest.raises(Conflict, match="voting is closed"):
        cast(stakeholder, stale)
    assert nothing_stored()


def test_a_voter_outside_the_eligible_groups_is_refused(stakeholder, other_stakeholder, facilitator, groups, v1):
    round = make_round(facilitator, v1, eligible_groups=[groups["civil-society"]])
    with pytest.raises(NotAllowed, match="open to other stakeholder groups than Developers"):
        cast(stakeholder, round)
    assert nothing_stored()
    cast(other_stakeholder, round)
    assert Vote.objects.get().voter.user == other_stakeholder


def test_a_user_with_no_group_cannot_vote(outsider, open_round):
    with pytest.raises(NotAllowed, match="Choose your stakeholder group"):
        cast(outsider, open_round)
    assert nothing_stored()


def test_anonymous_users_cannot_vote(open_round):
    with pytest.raises(NotAllowed, match="Sign in to vote"):
        cast(AnonymousUser(), open_round)
    assert nothing_stored()


def test_a_facilitator_without_a_group_cannot_vote_either(facilitator, open_round):
    with pytest.raises(NotAllowed):
        cast(facilitator, open_round)
    assert nothing_stored()


# -- the same through the API: 4xx with a message, nothing stored ---------------------------------

@pytest.mark.parametrize(
    "payload, status, message",
    [
        ({"anchor": "purpose", "position": "block"}, 400, "A block needs a rationale"),
        ({"anchor": "purpose", "position": "maybe"}, 400, "Unknown position 'maybe'"),
        ({"anchor": "nowhere", "position": "support"}, 400, "no clause with the anchor 'nowhere'"),
        ({"anchor": "purpose"}, 400, "position"),
    ],
)
def test_api_refusals_are_4xx_with_a_message(stakeholder_api, open_round, payload, status, message):
    response = stakeholder_api.post(f"/api/rounds/{open_round.pk}/votes/", payload, format="json")
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert nothing_stored()


def test_api_refuses_a_closed_round_with_409(stakeholder, facilitator, v1):
    round = make_round(facilitator, v1, state=RoundState.CLOSED)
    response = client_for(stakeholder).post(f"/api/rounds/{round.pk}/votes/", {"position": "support"}, format="json")
    assert response.status_code == 409 and "voting is closed" in response.json()["detail"]
    assert nothing_stored()


def test_api_refuses_a_voter_outside_the_eligible_groups_with_403(stakeholder, facilitator, groups, v1):
    round = make_round(facilitator, v1, eligible_groups=[groups["industry"]])
    response = client_for(stakeholder).post(f"/api/rounds/{round.pk}/votes/", {"position": "support"}, format="json")
    assert response.status_code == 403 and "open to other stakeholder groups" in response.json()["detail"]
    assert nothing_stored()


def test_api_refuses_anonymous_votes(api, open_round):
    response = api.post(f"/api/rounds/{open_round.pk}/votes/", {"position": "support"}, format="json")
    assert response.status_code in (401, 403) and response.json()["detail"]
    assert nothing_stored()


def test_only_facilitators_import_votes(stakeholder, open_round):
    with pytest.raises(NotAllowed, match="Only facilitators"):
        services.vote_import(actor=stakeholder, round=open_round, file_bytes=b"voter,group,anchor,position\nx,developers,,support\n")
    assert nothing_stored()
