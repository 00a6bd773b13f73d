"""Rounds API: list and filters, create and update for facilitators, open and close, bulk
dispositions, import and export."""
from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.models import Comment, DraftingRound, RoundState
from consultations.services import comments as comment_services

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round

pytestmark = pytest.mark.django_db


def _payload(**extra):
    start = timezone.now() + timedelta(days=1)
    return {"definition": "sample", "version": "0.1", "title": "Round one", "description": "Please comment.",
            "opens_at": start.isoformat(), "closes_at": (start + timedelta(days=14)).isoformat(), **extra}


def test_facilitator_creates_a_round_with_its_rule(facilitator_api, v1, groups):
    response = facilitator_api.post("/api/rounds/", _payload(
        eligible_groups=["developers", "industry"], visibility="members", quorum=3, threshold="3/5",
        blocks_prevent_consensus=False, require_every_group=True, public_votes=True, hide_after_reports=5,
    ), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == 1 and body["state"] == "scheduled" and body["version"] == "0.1"
    assert sorted(body["eligible_groups"]) == ["developers", "industry"]
    assert (body["threshold"], body["quorum"], body["require_every_group"], body["hide_after_reports"]) == ("3/5", 3, True, 5)
    assert body["comment_count"] == 0 and body["url"] == f"/rounds/{body['id']}/"


@pytest.mark.parametrize("extra, status, message", [
    ({"threshold": "lots"}, 400, "threshold"),
    ({"eligible_groups": ["martians"]}, 400, "Unknown stakeholder group(s): martians"),
    ({"version": "9.9"}, 400, "no version labelled '9.9'"),
    ({"definition": "nope"}, 400, "No definition"),
    ({"visibility": "secret"}, 400, "visibility"),
])
def test_bad_round_requests_are_4xx_with_a_message(facilitator_api, v1, extra, status, message):
    response = facilitator_api.post("/api/rounds/", _payload(**extra), format="json")
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert not DraftingRound.objects.exists()


def test_only_facilitators_create_rounds(stakeholder_api, api, v1):
    assert stakeholder_api.post("/api/rounds/", _payload(), format="json").status_code == 403
    assert api.post("/api/rounds/", _payload(), format="json").status_code in (401, 403)
    assert not DraftingRound.objects.exists()


def test_list_filters_and_members_only_rounds(api, stakeholder_api, facilitator, v1):
    public = make_round(facilitator, v1)
    members = make_round(facilitator, v1, state=RoundState.SCHEDULED, visibility="members")
    ids = lambda r: [row["id"] for row in r.json()["results"]]  # noqa: E731
    assert ids(api.get("/api/rounds/")) == [public.pk]
    assert sorted(ids(stakeholder_api.get("/api/rounds/"))) == sorted([public.pk, members.pk])
    assert ids(stakeholder_api.get("/api/rounds/?state=scheduled")) == [members.pk]
    assert ids(stakeholder_api.get("/api/rounds/?definition=other")) == []
    assert stakeholder_api.get("/api/rounds/?state=bogus").status_code == 400
    assert api.get(f"/api/rounds/{members.pk}/").status_code == 404
    assert stakeholder_api.get(f"/api/rounds/{members.pk}/").json()["visibility"] == "members"


def test_update_open_and_close(facilitator_api, facilitator, v1):
    round = make_round(facilitator, v1, state=RoundState.SCHEDULED)
    response = facilitator_api.patch(f"/api/rounds/{round.pk}/", {"threshold": "0.75", "title": "Renamed"}, format="json")
    assert response.status_code == 200 and response.json()["threshold"] == "0.75"
    assert facilitator_api.patch(f"/api/rounds/{round.pk}/", {"version": "0.2"}, format="json").status_code == 400
    assert facilitator_api.post(f"/api/rounds/{round.pk}/open/").json()["state"] == "open"
    response = facilitator_api.patch(f"/api/rounds/{round.pk}/", {"quorum": 9}, format="json")
    assert response.status_code == 409 and "round rule" in response.json()["detail"]
    assert facilitator_api.post(f"/api/rounds/{round.pk}/close/").json()["state"] == "closed"
    assert facilitator_api.post(f"/api/rounds/{round.pk}/close/").status_code == 409


def test_opening_a_second_round_is_409_with_a_message(facilitator_api, facilitator, v1):
    make_round(facilitator, v1)
    second = make_round(facilitator, v1, state=RoundState.SCHEDULED)
    response = facilitator_api.post(f"/api/rounds/{second.pk}/open/")
    assert response.status_code == 409
    assert "Round 1" in response.json()["detail"] and "still open" in response.json()["detail"]


def test_stakeholders_cannot_open_or_close(stakeholder_api, facilitator, v1):
    round = make_round(facilitator, v1)
    assert stakeholder_api.post(f"/api/rounds/{round.pk}/close/").status_code == 403
    round.refresh_from_db()
    assert round.state == RoundState.OPEN


def test_bulk_dispositions(facilitator_api, stakeholder_api, facilitator, stakeholder, open_round):
    ids = [comment_services.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body=f"P{i}").pk
           for i in range(3)]
    payload = {"comment_ids": ids[:2], "disposition": "deferred", "response": "Next round."}
    assert stakeholder_api.post(f"/api/rounds/{open_round.pk}/dispositions/", payload, format="json").status_code == 403
    response = facilitator_api.post(f"/api/rounds/{open_round.pk}/dispositions/", payload, format="json")
    assert response.status_code == 200 and response.json() == {"updated": 2, "disposition": "deferred"}
    assert sorted(Comment.objects.filter(disposition="deferred").values_list("pk", flat=True)) == ids[:2]
    bad = facilitator_api.post(f"/api/rounds/{open_round.pk}/dispositions/",
                               {"comment_ids": [ids[2]], "disposition": "duplicate"}, format="json")
    assert bad.status_code == 400 and "duplicate_of" in bad.json()["detail"]


def test_import_by_upload_and_by_raw_body(facilitator_api, stakeholder_api, open_round):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv_text = b"external_id,author,anchor,stance,body\nm-1,Meeting note,purpose,concern,Raised at the hearing.\n"
    upload = SimpleUploadedFile("hearing.csv", csv_text, content_type="text/csv")
    response = facilitator_api.post(f"/api/rounds/{open_round.pk}/comments/import/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json() == {"rows": 1, "created": 1, "unchanged": 0, "stakeholders_created": 1, "format": "csv"}
    jsonl = b'{"external_id": "m-2", "author": "Mail", "anchor": null, "body": "By e-mail."}\n'
    response = facilitator_api.generic("POST", f"/api/rounds/{open_round.pk}/comments/import/", jsonl,
                                       content_type="application/x-ndjson")
    assert response.status_code == 200 and response.json()["created"] == 1
    bad = facilitator_api.generic("POST", f"/api/rounds/{open_round.pk}/comments/import/",
                                  b"external_id,author,anchor,body\nm-3,X,nowhere,Bad\n", content_type="text/csv")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("Line 2:")
    refused = stakeholder_api.generic("POST", f"/api/rounds/{open_round.pk}/comments/import/", jsonl,
                                      content_type="application/x-ndjson")
    assert refused.status_code == 403
    assert Comment.objects.count() == 2


def test_exports_are_downloads_with_a_header_row(api, facilitator, stakeholder, open_round):
    comment_services.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="Café ✓")
    response = api.get(f"/api/rounds/{open_round.pk}/export.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and "sample-round-1-comments.csv" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbfid,external_id,anchor,author,group,stance,body,suggestion,parent,created_at,"
                           b"disposition,response\r\n")
    assert "Café ✓".encode() in body
    data = b"".join(api.get(f"/api/rounds/{open_round.pk}/export.json").streaming_content)
    import json

    [record] = json.loads(data)
    assert record["body"] == "Café ✓" and record["disposition"] == "pending" and record["group"] == "developers"


def test_round_counts_are_visible_comments_and_the_unanswered_among_them(facilitator, api, v1, stakeholder):
    counted = make_round(facilitator, v1)
    author = stakeholder.stakeholder
    for fields in ({}, {}, {"disposition": "accepted", "response": "Done."}, {"hidden": True, "hidden_reason": "spam"},
                   {"withdrawn_at": timezone.now()}):
        Comment.objects.create(round=counted, anchor="", author=author, body="A comment.", stance="support",
                               created_at=timezone.now(), **fields)
    DraftingRound.objects.filter(pk=counted.pk).update(state=RoundState.CLOSED)
    empty = make_round(facilitator, v1)

    detail = api.get(f"/api/rounds/{counted.pk}/").json()
    assert (detail["comment_count"], detail["unanswered_count"]) == (3, 2)
    listed = {row["id"]: row for row in api.get("/api/rounds/").json()["results"]}
    assert (listed[counted.pk]["comment_count"], listed[counted.pk]["unanswered_count"]) == (3, 2)
    assert (listed[empty.pk]["comment_count"], listed[empty.pk]["unanswered_count"]) == (0, 0)
