"""A facilitator imports a version through the form; a reader opens a clause permalink; the compare page."""
import pytest

from definitions.models import Definition
from tests.conftest import PASSWORD
from tests.definitions.factories import DRAFT_1, DRAFT_2, make_definition, make_version

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_facilitator_imports_a_version_with_preview(page, facilitator):
    make_definition(facilitator)
    log_in(page, "fran", PASSWORD)
    page.goto("/definitions/sample/import/")
    page.get_by_label("Label").fill("0.1")
    page.get_by_label("Markdown").fill(DRAFT_1)
    page.get_by_role("button", name="Preview clauses").click()
    assert page.get_by_test_id("preview").is_visible()
    assert "Preview:" in page.content()
    page.get_by_role("button", name="Save this version").click()
    page.wait_for_url("**/definitions/sample/0.1/")
    assert Definition.objects.get(slug="sample").versions.get(label="0.1").source_markdown == DRAFT_1


def test_reader_opens_a_clause_permalink(page, facilitator):
    definition = make_definition(facilitator)
    version = make_version(facilitator, definition, "0.1", DRAFT_1)
    clause = version.clauses.filter(kind="list_item").first()
    page.goto(f"/definitions/sample/0.1/#{clause.anchor}")
    target = page.locator(f"section[id='{clause.anchor}']")
    assert target.is_visible()
    assert page.evaluate("location.hash") == f"#{clause.anchor}"
    # :target styling marks the clause the link points at
    assert page.evaluate("document.querySelector('section:target').id") == clause.anchor


def test_compare_page_switches_views(page, facilitator):
    definition = make_definition(facilitator)
    make_version(facilitator, definition, "0.1", DRAFT_1)
    make_version(facilitator, definition, "0.2", DRAFT_2)
    page.goto("/definitions/sample/0.2/")
    page.get_by_test_id("compare-previous").click()
    assert "modified" in page.get_by_test_id("diff-summary").inner_text()
    assert page.locator("[data-testid=diff] ins").count() > 0
    page.get_by_label("View").select_option("side_by_side")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(lambda url: "view=side_by_side" in url)
    assert page.get_by_test_id("diff").get_attribute("data-view") == "side_by_side"
    page.get_by_label("Show").select_option("whole")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(lambda url: "mode=whole" in url)
    assert page.locator("[data-testid=diff] [data-op=equal]").count() > 0
