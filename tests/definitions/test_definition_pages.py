"""Pages: list, timeline, version with permalinks and contents, import with preview, compare, history."""
import pytest
from django.test import Client

from definitions.models import Definition

from .factories import DRAFT_1, DRAFT_2, make_definition, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def definition(facilitator):
    definition = make_definition(facilitator)
    make_version(facilitator, definition, "0.1", DRAFT_1)
    make_version(facilitator, definition, "0.2", DRAFT_2)
    return definition


@pytest.fixture
def facilitator_client(facilitator):
    client = Client()
    client.force_login(facilitator)
    return client


def test_home_has_an_empty_state(client, db):
    page = client.get("/").content.decode()
    assert "No definition has been published yet." in page


def test_home_and_list_show_the_definition(client, definition):
    assert "Sample Definition" in client.get("/").content.decode()
    assert "Sample Definition" in client.get("/definitions/").content.decode()


def test_timeline_lists_versions_newest_first(client, definition):
    page = client.get("/definitions/sample/").content.decode()
    assert page.index(">0.2<") < page.index(">0.1<")
    assert "Download 0.2 as Markdown" in page


def test_version_page_has_permalinks_and_contents(client, definition):
    version = definition.versions.get(label="0.2")
    page = client.get("/definitions/sample/0.2/").content.decode()
    for clause in version.clauses.all():
        assert f'id="{clause.anchor}"' in page
        assert f'href="/definitions/sample/0.2/#{clause.anchor}"' in page
    assert 'aria-label="Contents"' in page
    assert "Compare with previous (0.1)" in page


def test_version_page_renders_no_raw_html(facilitator, client):
    definition = make_definition(facilitator, slug="evil", title="Evil")
    make_version(facilitator, definition, "1", "# T\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n")
    page = client.get("/definitions/evil/1/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript:' not in page


def test_drafts_are_hidden_from_readers(client, facilitator, definition):
    make_version(facilitator, definition, "0.3", DRAFT_2 + "\nMore.\n", publish=False)
    assert client.get("/definitions/sample/0.3/").status_code == 404


def test_import_preview_then_save(facilitator_client, definition):
    form = {"label": "0.3", "markdown": DRAFT_2 + "\nA closing paragraph.\n", "change_note": "adds a closing"}
    preview = facilitator_client.post("/definitions/sample/import/", form).content.decode()
    assert "Preview:" in preview and "Save this version" in preview
    assert not definition.versions.filter(label="0.3").exists()
    response = facilitator_client.post("/definitions/sample/import/", {**form, "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == "/definitions/sample/0.3/"
    assert definition.versions.get(label="0.3").change_note == "adds a closing"


def test_import_form_reports_errors(facilitator_client, definition):
    page = facilitator_client.post("/definitions/sample/import/", {"label": "0.1", "markdown": "# x\n", "confirm": "1"})
    assert "already has a version labelled" in page.content.decode()
    page = facilitator_client.post("/definitions/sample/import/", {"label": "0.9", "markdown": ""})
    assert "Upload a file or paste" in page.content.decode()


def test_import_is_for_facilitators_only(client, stakeholder, definition):
    client.force_login(stakeholder)
    assert client.get("/definitions/sample/import/").status_code == 403
    assert client.get("/definitions/new/").status_code == 403


def test_create_definition_page(facilitator_client, db):
    response = facilitator_client.post("/definitions/new/", {"title": "Fresh Definition", "slug": ""})
    assert response.status_code == 302
    assert Definition.objects.filter(slug="fresh-definition").exists()


def test_compare_page_inline_and_side_by_side(client, definition):
    page = client.get("/definitions/sample/compare/?from=0.1&to=0.2").content.decode()
    assert 'data-testid="diff-summary"' in page and "modified" in page
    side = client.get("/definitions/sample/compare/?from=0.1&to=0.2&view=side_by_side&mode=whole").content.decode()
    assert 'data-view="side_by_side"' in side


def test_compare_unknown_label_is_404(client, definition):
    assert client.get("/definitions/sample/compare/?from=0.1&to=nope").status_code == 404


def test_history_page(client, definition):
    page = client.get("/definitions/sample/history/").content.decode()
    assert "version.published" in page


def test_download_button_serves_markdown(client, definition):
    response = client.get("/definitions/sample/0.1/export.md?front_matter=0")
    assert response.content == DRAFT_1.encode()
