"""The votes API: cast and change (201 then 200), your own votes, who voted how (facilitators, or
everyone when the rule makes votes public), the live tally, the history, and the OpenAPI schema."""
import pytest

from consultations.models import Vote, VoteChange
from consultations.services import rounds as round_services

from ..conftest import client_for
from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round

pytestmark = pytest.mark.django_db


def votes_url(round, suffix=""):
    return f"/api/rounds/{round.pk}/votes/{suffix}"


def test_cast_then_change_a_vote(stakeholder_api, open_round):
    first = stakeholder_api.post(votes_url(open_round), {"anchor": "purpose", "position": "support"}, format="json")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["anchor"], body["position"], body["group"], body["voter"]) == ("purpose", "support", "developers", "Alice")
    second = stakeholder_api.post(
        votes_url(open_round),
        {"anchor": "purpose", "position": "block", "rationale": "Samples need a size limit."}, format="json",
    )
    assert second.status_code == 200 and second.json()["id"] == body["id"]
    assert second.json()["rationale"] == "Samples need a size limit."
    assert Vote.objects.count() == 1 and VoteChange.objects.count() == 2


def test_null_anchor_is_the_whole_version(stakeholder_api, open_round):
    response = stakeholder_api.post(votes_url(open_round), {"anchor": None, "position": "abstain"}, format="json")
    assert response.status_code == 201 and response.json()["anchor"] is None
    assert Vote.objects.get().anchor == ""
    omitted = stakeholder_api.post(votes_url(open_round), {"position": "support"}, format="json")
    assert omitted.status_code == 200 and omitted.json()["anchor"] is None


def test_mine_lists_only_the_callers_votes(stakeholder, other_stakeholder, open_round):
    client_for(stakeholder).post(votes_url(open_round), {"anchor": "purpose", "position": "support"}, format="json")
    client_for(other_stakeholder).post(votes_url(open_round), {"anchor": "purpose", "position": "oppose"}, format="json")
    mine = client_for(stakeholder).get(votes_url(open_round), {"mine": "1"})
    assert mine.status_code == 200
    assert [(v["anchor"], v["position"]) for v in mine.json()["results"]] == [("purpose", "support")]


def test_mine_needs_a_signed_in_caller(api, open_round):
    response = api.get(votes_url(open_round), {"mine": "1"})
    assert response.status_code == 403 and "Sign in" in response.json()["detail"]


def test_who_voted_how_is_for_facilitators_when_votes_are_private(stakeholder, other_stakeholder, facilitator_api, api,
                                                                  open_round):
    client_for(stakeholder).post(votes_url(open_round), {"anchor": "purpose", "position": "support"}, format="json")
    for client in (client_for(other_stakeholder), api):
        refused = client.get(votes_url(open_round))
        assert refused.status_code == 403
        assert "shown to the facilitators only" in refused.json()["detail"]
        assert client.get(votes_url(open_round, "history/")).status_code == 403
    listed = facilitator_api.get(votes_url(open_round))
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert listed.json()["results"][0]["voter"] == "Alice"
    history = facilitator_api.get(votes_url(open_round, "history/"))
    assert history.status_code == 200 and [h["position"] for h in history.json()["results"]] == ["support"]


def test_public_votes_are_listed_for_everyone_and_paginated(stakeholder, other_stakeholder, facilitator, api, v1):
    round = make_round(facilitator, v1, public_votes=True)
    for user, position in ((stakeholder, "support"), (other_stakeholder, "oppose")):
        for anchor in ("purpose", None):
            client_for(user).post(votes_url(round), {"anchor": anchor, "position": position}, format="json")
    page = api.get(votes_url(round), {"page_size": 3})
    assert page.status_code == 200
    body = page.json()
    assert body["count"] == 4 and len(body["results"]) == 3 and body["next"]
    only_whole = api.get(votes_url(round), {"anchor": "null"}).json()
    assert {v["anchor"] for v in only_whole["results"]} == {None} and only_whole["count"] == 2
    assert api.get(votes_url(round, "history/")).json()["count"] == 4


def test_tally_is_live_while_the_round_is_open(stakeholder, other_stakeholder, facilitator, api, v1):
    round = make_round(facilitator, v1, quorum=2)
    client_for(stakeholder).post(votes_url(round), {"anchor": "purpose", "position": "support"}, format="json")
    tally = api.get(f"/api/rounds/{round.pk}/tally/").json()
    purpose = next(t for t in tally["targets"] if t["anchor"] == "purpose")
    assert purpose["status"] == "no-quorum" and purpose["needed"] == "needs 1 more voter for quorum"
    client_for(other_stakeholder).post(votes_url(round), {"anchor": "purpose", "position": "support"}, format="json")
    tally = api.get(f"/api/rounds/{round.pk}/tally/").json()
    assert tally["rule"]["quorum"] == 2 and tally["targets"][0]["anchor"] is None
    purpose = next(t for t in tally["targets"] if t["anchor"] == "purpose")
    assert purpose["status"] == "consensus"
    assert purpose["counts"] == {"support": 2, "oppose": 0, "abstain": 0, "block": 0}
    assert set(purpose["by_group"]) == {"developers", "civil-society"}
    assert set(purpose) == {"anchor", "counts", "voters", "support_ratio", "by_group", "status", "needed", "divisiveness"}


def test_tally_of_a_closed_round_keeps_its_votes(stakeholder, facilitator, api, open_round):
    client_for(stakeholder).post(votes_url(open_round), {"anchor": "purpose", "position": "oppose"}, format="json")
    round_services.round_close(actor=facilitator, round=open_round)
    tally = api.get(f"/api/rounds/{open_round.pk}/tally/").json()
    assert next(t for t in tally["targets"] if t["anchor"] == "purpose")["counts"]["oppose"] == 1


def test_members_only_rounds_are_hidden_from_anonymous_readers(facilitator, api, v1):
    round = make_round(facilitator, v1, visibility="members")
    response = api.get(f"/api/rounds/{round.pk}/tally/")
    assert response.status_code == 404 and response.json()["detail"]


def test_unknown_round_is_404(api):
    assert api.get("/api/rounds/999999/tally/").status_code == 404


def test_import_through_the_api(facilitator_api, stakeholder_api, open_round):
    csv = "voter,group,anchor,position,rationale\nRita Gomez,industry,purpose,support,\n"
    refused = stakeholder_api.post(votes_url(open_round, "import/?format=csv"), data=csv.encode(), content_type="text/csv")
    assert refused.status_code == 403
    raw = facilitator_api.post(votes_url(open_round, "import/?format=csv"), data=csv.encode(), content_type="text/csv")
    assert raw.status_code == 200, raw.json()
    assert raw.json() == {"rows": 1, "created": 1, "changed": 0, "unchanged": 0, "stakeholders_created": 1, "format": "csv"}
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("meeting.jsonl", b'{"voter": "Rita Gomez", "group": "industry", "anchor": "purpose", '
                                                 b'"position": "oppose"}\n', content_type="application/x-ndjson")
    multipart = facilitator_api.post(votes_url(open_round, "import/"), {"file": upload}, format="multipart")
    assert multipart.status_code == 200 and multipart.json()["changed"] == 1
    bad = facilitator_api.post(votes_url(open_round, "import/?format=jsonl"), data=b'{"voter": "X"}\n',
                               content_type="application/x-ndjson")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("Line 1:")


def test_the_openapi_schema_is_valid_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
