"""The permission matrix: each role against each action, checked in the services so the API, the
pages and the admin agree. Roles: anonymous reader, signed-up user without a group (outsider),
a stakeholder of an eligible group, a stakeholder of a group not eligible, the comment's author,
and a facilitator."""
import pytest
from django.contrib.auth.models import AnonymousUser

from consultations.models import RoundState
from consultations.selectors import rounds as selectors
from consultations.services import comment_io, comments, rounds
from workbench.errors import DomainError, NotAllowed, NotFound

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "eligible", "ineligible", "author", "facilitator"]
OK = "ok"

# action -> expected outcome per role (OK, or the exception class raised)
MATRIX = {
    "read_public_round":  dict(anonymous=OK, outsider=OK, eligible=OK, ineligible=OK, author=OK, facilitator=OK),
    "read_members_round": dict(anonymous=NotFound, outsider=OK, eligible=OK, ineligible=OK, author=OK, facilitator=OK),
    "comment":            dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=OK, ineligible=NotAllowed, author=OK,
                               facilitator=NotAllowed),
    "reply":              dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=OK, ineligible=NotAllowed, author=OK,
                               facilitator=NotAllowed),
    "edit":               dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=OK, facilitator=NotAllowed),
    "withdraw":           dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=OK, facilitator=NotAllowed),
    "report":             dict(anonymous=NotAllowed, outsider=OK, eligible=OK, ineligible=OK, author=DomainError,
                               facilitator=OK),
    "hide":               dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=NotAllowed, facilitator=OK),
    "restore":            dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=NotAllowed, facilitator=OK),
    "dispose":            dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=NotAllowed, facilitator=OK),
    "dispose_bulk":       dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=NotAllowed, facilitator=OK),
    "import":             dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=NotAllowed, facilitator=OK),
    "create_round":       dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=NotAllowed, facilitator=OK),
    "update_round":       dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=NotAllowed, facilitator=OK),
    "open_round":         dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=NotAllowed, facilitator=OK),
    "close_round":        dict(anonymous=NotAllowed, outsider=NotAllowed, eligible=NotAllowed, ineligible=NotAllowed,
                               author=NotAllowed, facilitator=OK),
}
CASES = [(action, role, expected) for action, row in MATRIX.items() for role, expected in row.items()]


@pytest.fixture
def world(facilitator, stakeholder, other_stakeholder, outsider, groups, v1, django_user_model):
    from tests.conftest import _user

    # The round is open to developers only: alice (developers) and a second developer are eligible.
    round = make_round(facilitator, v1, eligible_groups=[groups["developers"]], hide_after_reports=10)
    eligible = _user("erin", groups["developers"])
    comment = comments.comment_create(actor=stakeholder, round=round, anchor="purpose", body="Too vague.")
    comments.comment_hide(actor=facilitator, comment=comments.comment_create(
        actor=stakeholder, round=round, anchor="purpose", body="Hidden one."), reason="test")
    members = make_round(facilitator, v1, state=RoundState.SCHEDULED, visibility="members")
    scheduled = make_round(facilitator, v1, state=RoundState.SCHEDULED)
    users = {"anonymous": AnonymousUser(), "outsider": outsider, "eligible": eligible, "ineligible": other_stakeholder,
             "author": stakeholder, "facilitator": facilitator}
    return {"round": round, "comment": comment, "members": members, "scheduled": scheduled, "users": users, "v1": v1}


def act(action, actor, w):
    round, comment = w["round"], w["comment"]
    hidden = round.comments.get(hidden=True)
    if action == "read_public_round":
        return selectors.round_get(actor, round.pk)
    if action == "read_members_round":
        return selectors.round_get(actor, w["members"].pk)
    if action == "comment":
        return comments.comment_create(actor=actor, round=round, anchor="criteria-li1", body="My view.")
    if action == "reply":
        return comments.comment_create(actor=actor, round=round, parent=comment, body="A reply.")
    if action == "edit":
        return comments.comment_edit(actor=actor, comment=comment, body="Edited.")
    if action == "withdraw":
        return comments.comment_withdraw(actor=actor, comment=comment)
    if action == "report":
        return comments.comment_report(actor=actor, comment=comment, reason="off-topic")
    if action == "hide":
        return comments.comment_hide(actor=actor, comment=comment, reason="Off topic")
    if action == "restore":
        return comments.comment_restore(actor=actor, comment=hidden, reason="Fine after all")
    if action == "dispose":
        return comments.comment_dispose(actor=actor, comment=comment, disposition="accepted", response="Yes.")
    if action == "dispose_bulk":
        return comments.comments_dispose_bulk(actor=actor, round=round, comment_ids=[comment.pk], disposition="deferred")
    if action == "import":
        data = b"external_id,author,body\nx1,Someone,Imported text\n"
        return comment_io.comments_import(actor=actor, round=round, data=data, filename="a.csv")
    if action == "create_round":
        return rounds.round_create(actor=actor, definition=w["v1"].definition, version=w["v1"], title="New",
                                   opens_at=round.opens_at, closes_at=round.closes_at)
    if action == "update_round":
        return rounds.round_update(actor=actor, round=round, title="Renamed")
    if action == "open_round":
        rounds.round_close(actor=w["users"]["facilitator"], round=round)  # free the definition's open slot
        return rounds.round_open(actor=actor, round=w["scheduled"])
    if action == "close_round":
        return rounds.round_close(actor=actor, round=round)
    raise AssertionError(action)


@pytest.mark.parametrize("action, role, expected", CASES, ids=[f"{a}-{r}" for a, r, _ in CASES])
def test_permission_matrix(world, action, role, expected):
    actor = world["users"][role]
    if expected is OK:
        assert act(action, actor, world) is not None
    else:
        with pytest.raises(expected):
            act(action, actor, world)


def test_the_matrix_covers_every_role():
    assert all(set(row) == set(ROLES) for row in MATRIX.values())
