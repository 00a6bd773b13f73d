"""Comments API: post, list with filters, read, edit, withdraw, report, hide, restore, answer."""
import pytest

from consultations.models import Comment, RoundState
from consultations.services import comments as services
from tests.conftest import client_for

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round

pytestmark = pytest.mark.django_db


def url(round):
    return f"/api/rounds/{round.pk}/comments/"


def test_post_a_comment_and_a_reply(stakeholder_api, other_stakeholder, open_round):
    response = stakeholder_api.post(url(open_round), {"anchor": "purpose", "body": "Too *vague*.", "stance": "concern",
                                                      "suggestion": "New words."}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["anchor"], body["stance"], body["disposition"], body["depth"]) == ("purpose", "concern", "pending", 0)
    assert body["author"]["display_name"] == "Alice" and body["author"]["group"] == "developers"
    whole = stakeholder_api.post(url(open_round), {"anchor": None, "body": "Overall fine."}, format="json").json()
    assert whole["anchor"] is None and whole["stance"] == "neutral"
    reply = client_for(other_stakeholder).post(url(open_round), {"parent": body["id"], "body": "Agreed."}, format="json")
    assert reply.status_code == 201 and reply.json()["anchor"] == "purpose" and reply.json()["parent"] == body["id"]


@pytest.mark.parametrize("payload, status, message", [
    ({"anchor": "nowhere", "body": "x"}, 400, "no clause with the anchor 'nowhere'"),
    ({"anchor": "purpose", "body": ""}, 400, "empty"),
    ({"anchor": "purpose", "body": "x" * 20_001}, 400, "limit is 20,000"),
    ({"anchor": "purpose", "body": "x", "stance": "angry"}, 400, "Unknown stance 'angry'"),
    ({"anchor": "purpose"}, 400, "body"),
    ({"anchor": "purpose", "body": "x", "parent": 999999}, 400, "not in round"),
])
def test_bad_comments_are_4xx_and_nothing_is_stored(stakeholder_api, open_round, payload, status, message):
    response = stakeholder_api.post(url(open_round), payload, format="json")
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert not Comment.objects.exists()


@pytest.mark.parametrize("state", [RoundState.SCHEDULED, RoundState.CLOSED])
def test_no_comments_on_a_round_that_is_not_open(stakeholder_api, facilitator, v1, state):
    round = make_round(facilitator, v1, state=state)
    response = stakeholder_api.post(url(round), {"anchor": "purpose", "body": "Late."}, format="json")
    assert response.status_code == 409 and f"Round {round.number}" in response.json()["detail"]
    assert not Comment.objects.exists()


def test_anonymous_and_ineligible_cannot_post(api, other_stakeholder, facilitator, v1, groups):
    round = make_round(facilitator, v1, eligible_groups=[groups["developers"]])
    assert api.post(url(round), {"anchor": "purpose", "body": "x"}, format="json").status_code in (401, 403)
    response = client_for(other_stakeholder).post(url(round), {"anchor": "purpose", "body": "x"}, format="json")
    assert response.status_code == 403 and "other stakeholder groups" in response.json()["detail"]
    assert not Comment.objects.exists()


def test_list_filters(api, stakeholder, stakeholder_api, other_stakeholder, facilitator, open_round):
    a = services.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="a", stance="support")
    b = services.comment_create(actor=other_stakeholder, round=open_round, anchor="", body="b", stance="oppose")
    c = services.comment_create(actor=other_stakeholder, round=open_round, anchor="criteria-li1", body="c", stance="support")
    services.comment_dispose(actor=facilitator, comment=c, disposition="accepted")
    ids = lambda path: [row["id"] for row in api.get(url(open_round) + path).json()["results"]]  # noqa: E731
    assert ids("") == [a.pk, b.pk, c.pk]
    assert ids("?anchor=purpose") == [a.pk]
    assert ids("?anchor=") == [b.pk]  # present but empty: the whole version
    assert ids("?stance=support") == [a.pk, c.pk]
    assert ids("?disposition=pending") == [a.pk, b.pk]
    assert ids("?disposition=accepted") == [c.pk]
    assert ids(f"?author={other_stakeholder.stakeholder.pk}") == [b.pk, c.pk]
    assert [r["id"] for r in stakeholder_api.get(url(open_round) + "?author=me").json()["results"]] == [a.pk]
    assert api.get(url(open_round) + "?stance=cross").status_code == 400


def test_hidden_comments_are_listed_only_to_facilitators_and_their_author(api, stakeholder, stakeholder_api,
                                                                           facilitator, facilitator_api, open_round):
    comment = services.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="Secret text")
    services.comment_hide(actor=facilitator, comment=comment, reason="Off topic")
    assert api.get(url(open_round)).json()["count"] == 0
    mine = stakeholder_api.get(url(open_round)).json()["results"][0]
    assert mine["hidden"] and mine["hidden_reason"] == "Off topic" and mine["body"] == "Secret text"
    assert "report_count" not in mine
    assert facilitator_api.get(url(open_round)).json()["results"][0]["report_count"] == 0
    assert api.get(f"/api/comments/{comment.pk}/").json()["body"] is None


def test_edit_and_withdraw_own_comment_only(stakeholder_api, other_stakeholder, stakeholder, open_round):
    comment = services.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="First")
    other = client_for(other_stakeholder)
    assert other.patch(f"/api/comments/{comment.pk}/", {"body": "Hijack"}, format="json").status_code == 403
    response = stakeholder_api.patch(f"/api/comments/{comment.pk}/", {"body": "Second", "stance": "support"}, format="json")
    assert response.status_code == 200
    assert response.json()["body"] == "Second" and response.json()["revisions"][0]["body"] == "First"
    assert stakeholder_api.patch(f"/api/comments/{comment.pk}/", {"body": ""}, format="json").status_code == 400
    assert other.delete(f"/api/comments/{comment.pk}/").status_code == 403
    response = stakeholder_api.delete(f"/api/comments/{comment.pk}/")
    assert response.status_code == 200 and response.json()["withdrawn"] is True
    assert stakeholder_api.delete(f"/api/comments/{comment.pk}/").status_code == 409


def test_report_hide_restore_and_answer(api, stakeholder, stakeholder_api, other_stakeholder, facilitator_api, open_round):
    comment = services.comment_create(actor=other_stakeholder, round=open_round, anchor="purpose", body="Hmm")
    assert api.post(f"/api/comments/{comment.pk}/report/", {"reason": "spam"}, format="json").status_code in (401, 403)
    response = stakeholder_api.post(f"/api/comments/{comment.pk}/report/", {"reason": "rude"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["detail"]
    assert stakeholder_api.post(f"/api/comments/{comment.pk}/report/", {"reason": "spam"}, format="json").status_code == 200
    assert stakeholder_api.post(f"/api/comments/{comment.pk}/report/", {"reason": "spam"}, format="json").status_code == 409
    assert stakeholder_api.post(f"/api/comments/{comment.pk}/hide/", {"reason": "x"}, format="json").status_code == 403
    response = facilitator_api.post(f"/api/comments/{comment.pk}/hide/", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["detail"]
    response = facilitator_api.post(f"/api/comments/{comment.pk}/hide/", {"reason": "Spam link"}, format="json")
    assert response.json()["hidden"] is True
    response = facilitator_api.post(f"/api/comments/{comment.pk}/restore/", {"reason": "False alarm"}, format="json")
    assert response.json()["hidden"] is False
    assert stakeholder_api.post(f"/api/comments/{comment.pk}/disposition/", {"disposition": "accepted"},
                                format="json").status_code == 403
    response = facilitator_api.post(f"/api/comments/{comment.pk}/disposition/",
                                    {"disposition": "partially-accepted", "response": "In part."}, format="json")
    assert response.status_code == 200
    assert (response.json()["disposition"], response.json()["response"]) == ("partially-accepted", "In part.")
    response = facilitator_api.post(f"/api/comments/{comment.pk}/disposition/", {"disposition": "great"}, format="json")
    assert response.status_code == 400 and "Unknown disposition" in response.json()["detail"]


def test_members_only_round_comments_are_invisible_to_anonymous(api, stakeholder_api, facilitator, stakeholder, v1):
    round = make_round(facilitator, v1, visibility="members")
    comment = services.comment_create(actor=stakeholder, round=round, anchor="purpose", body="Members only")
    assert api.get(url(round)).status_code == 404
    assert api.get(f"/api/comments/{comment.pk}/").status_code == 404
    assert stakeholder_api.get(f"/api/comments/{comment.pk}/").json()["body"] == "Members only"
