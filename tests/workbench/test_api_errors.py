"""Every 4xx from the API is JSON with a message, never an HTML page or a 500."""
import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def _assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["code"]
    return body


def test_malformed_json_is_a_400_with_a_message(stakeholder_api):
    response = stakeholder_api.patch("/api/me/", data='{"display_name": ', content_type="application/json")
    body = _assert_json_error(response, 400)
    assert "JSON parse error" in body["detail"]


def test_unknown_api_route_is_a_json_404(api):
    body = _assert_json_error(api.get("/api/no-such-thing/"), 404)
    assert "/api/no-such-thing/" in body["detail"]


def test_missing_token_is_a_json_401_on_write(api):
    body = _assert_json_error(api.patch("/api/me/", {"display_name": "x"}, format="json"), 401)
    assert body["code"] == "not_authenticated"


def test_bad_token_is_a_json_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    body = _assert_json_error(api.get("/api/me/"), 401)
    assert "token" in body["detail"].lower()


def test_wrong_password_is_a_json_400_with_message(api, stakeholder):
    body = _assert_json_error(api.post("/api/auth/token/", {"username": "alice", "password": "nope"}, format="json"), 400)
    assert body["detail"] == "Wrong username or password."


def test_validation_errors_name_the_field(facilitator_api):
    body = _assert_json_error(facilitator_api.post("/api/groups/", {"name": ""}, format="json"), 400)
    assert "name" in body["errors"]


def test_permission_denied_is_a_json_403(stakeholder_api):
    body = _assert_json_error(stakeholder_api.post("/api/groups/", {"name": "Press"}, format="json"), 403)
    assert "facilitators" in body["detail"].lower()


def test_throttled_writes_are_a_json_429(stakeholder_api):
    with override_settings(THROTTLE_WRITES="2/min"):
        from django.core.cache import cache

        cache.delete_many([f"throttle_writes_{pk}" for pk in range(1, 100)])
        statuses = [stakeholder_api.patch("/api/me/", {"affiliation": f"A{i}"}, format="json").status_code for i in range(3)]
        assert statuses[:2] == [200, 200]
        body = _assert_json_error(stakeholder_api.patch("/api/me/", {"affiliation": "B"}, format="json"), 429)
        assert "throttled" in body["detail"].lower()
