"""Tokens, the caller, stakeholder groups."""
import pytest

from workbench.models import AuditEvent, StakeholderGroup

pytestmark = pytest.mark.django_db


def test_token_login_then_token_authenticates(api, stakeholder):
    from tests.conftest import PASSWORD

    token = api.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/me/").json()
    assert me["username"] == "alice"
    assert me["group"]["slug"] == "developers"
    assert me["roles"] == ["reader", "stakeholder"]


def test_me_for_anonymous_reader(api):
    assert api.get("/api/me/").json() == {
        "username": None, "authenticated": False, "profile": None, "group": None, "roles": ["reader"],
    }


def test_me_shows_facilitator_role(facilitator_api):
    assert "facilitator" in facilitator_api.get("/api/me/").json()["roles"]


def test_profile_update_is_audited(stakeholder_api, stakeholder, groups):
    response = stakeholder_api.patch("/api/me/", {"affiliation": "Example Uni", "group": "civil-society"}, format="json")
    assert response.status_code == 200
    assert response.json()["group"]["slug"] == "civil-society"
    event = AuditEvent.objects.get(verb="profile.updated")
    assert event.actor == stakeholder
    assert event.data["changes"]["group"] == ["developers", "civil-society"]


def test_profile_update_rejects_unknown_group(stakeholder_api):
    response = stakeholder_api.patch("/api/me/", {"group": "astronauts"}, format="json")
    assert response.status_code == 400
    assert "group" in response.json()["errors"]


def test_groups_list_is_paginated_and_ordered(api, groups):
    body = api.get("/api/groups/").json()
    assert body["count"] == 3
    assert [g["slug"] for g in body["results"]] == ["civil-society", "developers", "industry"]


def test_facilitator_creates_group(facilitator_api):
    response = facilitator_api.post("/api/groups/", {"name": "Press", "slug": "press"}, format="json")
    assert response.status_code == 201
    assert StakeholderGroup.objects.filter(slug="press").exists()
    assert AuditEvent.objects.filter(verb="group.created", target_label="Press").exists()


def test_duplicate_group_is_a_conflict(facilitator_api, groups):
    response = facilitator_api.post("/api/groups/", {"name": "Industry", "slug": "industry"}, format="json")
    assert response.status_code == 409


def test_schema_and_docs_are_served(api):
    assert api.get("/api/schema/").status_code == 200
    assert api.get("/api/docs/").status_code == 200
