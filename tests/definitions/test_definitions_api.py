"""The definitions API: reading, importing, publishing, exporting, diffing; who may do what."""
import pytest

from .factories import DRAFT_1, DRAFT_2, make_definition, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def definition(facilitator):
    definition = make_definition(facilitator)
    make_version(facilitator, definition, "0.1", DRAFT_1)
    make_version(facilitator, definition, "0.2", DRAFT_2)
    make_version(facilitator, definition, "0.3-draft", DRAFT_2 + "\nA draft paragraph.\n", publish=False)
    return definition


def test_facilitator_creates_definition_then_version_then_publishes(facilitator_api):
    response = facilitator_api.post("/api/definitions/", {"slug": "osd", "title": "Open Sample Definition"}, format="json")
    assert response.status_code == 201, response.json()
    response = facilitator_api.post(
        "/api/definitions/osd/versions/", {"label": "1.0-RC1", "markdown": DRAFT_1, "change_note": "first"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["label"] == "1.0-RC1" and body["status"] == "draft"
    assert body["clauses"][0] == {
        "anchor": "sample", "kind": "heading", "ordinal": 0, "parent": None, "depth": body["clauses"][0]["depth"],
        "heading_path": ["Sample Definition"], "markdown": "# Sample Definition {#sample}\n",
        "html": body["clauses"][0]["html"], "relation": "",
    }
    assert "{#sample}" not in body["clauses"][0]["html"]
    published = facilitator_api.post("/api/definitions/osd/versions/1.0-RC1/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    final = facilitator_api.post("/api/definitions/osd/versions/1.0-RC1/finalize/")
    assert final.json()["status"] == "final"


def test_duplicate_slug_and_label_are_conflicts(facilitator_api, definition):
    assert facilitator_api.post("/api/definitions/", {"slug": "sample", "title": "Again"}, format="json").status_code == 409
    response = facilitator_api.post("/api/definitions/sample/versions/", {"label": "0.1", "markdown": "# x\n"}, format="json")
    assert response.status_code == 409
    assert "0.1" in response.json()["detail"]


def test_readers_see_published_versions_only(api, definition):
    labels = [v["label"] for v in api.get("/api/definitions/sample/versions/").json()["results"]]
    assert labels == ["0.1", "0.2"]
    assert api.get("/api/definitions/sample/versions/0.3-draft/").status_code == 404


def test_facilitators_see_drafts(facilitator_api, definition):
    labels = [v["label"] for v in facilitator_api.get("/api/definitions/sample/versions/").json()["results"]]
    assert labels == ["0.1", "0.2", "0.3-draft"]


def test_version_detail_has_clauses_with_parents(api, definition):
    body = api.get("/api/definitions/sample/versions/0.1/").json()
    assert set(body) >= {"label", "status", "sequence", "content_hash", "change_note", "clauses"}
    anchors = {c["anchor"] for c in body["clauses"]}
    assert all(c["parent"] is None or c["parent"] in anchors for c in body["clauses"])


def test_stakeholders_cannot_write(stakeholder_api, definition):
    assert stakeholder_api.post("/api/definitions/", {"slug": "x", "title": "X"}, format="json").status_code == 403
    response = stakeholder_api.post("/api/definitions/sample/versions/", {"label": "9", "markdown": "# x\n"}, format="json")
    assert response.status_code == 403
    assert stakeholder_api.post("/api/definitions/sample/versions/0.2/finalize/").status_code == 403


def test_anonymous_cannot_write(api, definition):
    response = api.post("/api/definitions/sample/versions/", {"label": "9", "markdown": "# x\n"}, format="json")
    assert response.status_code in (401, 403)
    assert response.json()["detail"]


def test_export_with_and_without_front_matter(api, definition):
    response = api.get("/api/definitions/sample/versions/0.1/export.md?front_matter=0")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sample-0.1.md"'
    assert response.content == DRAFT_1.encode("utf-8")
    full = api.get("/api/definitions/sample/versions/0.1/export.md").content.decode("utf-8")
    assert full.startswith("---\ntitle: Sample Definition\nversion: '0.1'\nstatus: published\n")
    assert "licence: CC0-1.0\ncanonical_url: http" in full
    assert full.endswith(DRAFT_1)


def test_export_bad_flag_is_a_400(api, definition):
    assert api.get("/api/definitions/sample/versions/0.1/export.md?front_matter=maybe").status_code == 400


def test_unknown_definition_and_label_are_404_with_message(api, definition):
    response = api.get("/api/definitions/nope/")
    assert response.status_code == 404 and "nope" in response.json()["detail"]
    response = api.get("/api/definitions/sample/diff/?from=0.1&to=9.9")
    assert response.status_code == 404 and "9.9" in response.json()["detail"]


def test_diff_json_markdown_html(api, definition):
    body = api.get("/api/definitions/sample/diff/?from=0.1&to=0.2").json()
    assert body["from"] == "0.1" and body["to"] == "0.2"
    assert body["stats"]["modified"] + body["stats"]["added"] + body["stats"]["moved"] >= 2
    for clause in body["clauses"]:
        old = "".join(t for op, t in clause["words"] if op in "=-")
        new = "".join(t for op, t in clause["words"] if op in "=+")
        assert old == (clause["from_markdown"] or "") and new == (clause["to_markdown"] or "")
    markdown = api.get("/api/definitions/sample/diff/?from=0.1&to=0.2&format=markdown")
    assert markdown["Content-Type"].startswith("text/markdown")
    assert "{++" in markdown.content.decode() or "{~~" in markdown.content.decode()
    html = api.get("/api/definitions/sample/diff/?from=0.1&to=0.2&format=html").content.decode()
    assert "<ins" in html


def test_version_against_itself_is_all_equal(api, definition):
    body = api.get("/api/definitions/sample/diff/?from=0.2&to=0.2").json()
    assert {c["op"] for c in body["clauses"]} == {"equal"}
    assert body["stats"]["equal"] == len(body["clauses"])


def test_diff_needs_both_labels_and_a_known_format(api, definition):
    assert api.get("/api/definitions/sample/diff/?from=0.1").status_code == 400
    assert api.get("/api/definitions/sample/diff/?from=0.1&to=0.2&format=pdf").status_code == 400


def test_history_lists_audit_events(api, definition):
    verbs = [e["verb"] for e in api.get("/api/definitions/sample/history/").json()["results"]]
    assert "version.published" in verbs and "definition.created" in verbs
