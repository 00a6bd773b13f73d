"""Voting in the browser: vote on a clause, change the vote (the highlight moves), block with a
rationale through the dialog; and the same without JavaScript (form posts and a page for the block)."""
import pytest
from playwright.sync_api import expect

from consultations.models import Vote
from tests.conftest import PASSWORD
from tests.consultations.rounds_factories import make_definition, make_round, make_version, V1

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RATIONALE = "Samples need a documented size limit before this can pass."


@pytest.fixture
def round(facilitator):
    return make_round(facilitator, make_version(make_definition(), "0.1", V1))


def button(page, anchor, position):
    return page.locator(f"#votes-{anchor} [data-testid=vote-{position}]")


def test_vote_change_and_block_with_a_rationale(page, stakeholder, round):
    log_in(page, "alice", PASSWORD)
    page.goto(f"/rounds/{round.pk}/")
    support, oppose, block = (button(page, "purpose", p) for p in ("support", "oppose", "block"))
    expect(support).to_have_attribute("aria-pressed", "false")

    support.click()
    expect(button(page, "purpose", "support")).to_have_attribute("aria-pressed", "true")
    expect(button(page, "purpose", "support")).to_have_class("small secondary vote-button support current")
    expect(page.locator("[data-vote-message]")).to_have_text("You now support clause purpose.")
    assert Vote.objects.get().position == "support"

    button(page, "purpose", "oppose").click()  # the highlight moves
    expect(button(page, "purpose", "oppose")).to_have_attribute("aria-pressed", "true")
    expect(button(page, "purpose", "support")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#votes-purpose [data-testid=vote-summary]")).to_have_text("1 oppose")
    assert Vote.objects.get().position == "oppose"

    button(page, "purpose", "block").click()
    dialog = page.get_by_test_id("block-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-block-target]")).to_have_text("clause purpose")
    dialog.get_by_label("Rationale").fill("Too short.")
    dialog.get_by_test_id("block-submit").click()  # minlength stops the browser from sending it
    expect(dialog).to_be_visible()
    assert Vote.objects.get().position == "oppose"
    dialog.get_by_label("Rationale").fill(RATIONALE)
    dialog.get_by_test_id("block-submit").click()
    expect(dialog).to_be_hidden()
    expect(button(page, "purpose", "block")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#votes-purpose [data-testid=vote-status]")).to_have_text("Blocked")
    vote = Vote.objects.get()
    assert (vote.position, vote.rationale) == ("block", RATIONALE)

    page.reload()  # what the server renders agrees
    expect(button(page, "purpose", "block")).to_have_attribute("aria-pressed", "true")
    expect(button(page, "purpose", "oppose")).to_have_attribute("aria-pressed", "false")


def test_voting_works_without_javascript(browser, live_server, stakeholder, round):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        log_in(page, "alice", PASSWORD)
        page.goto(f"/rounds/{round.pk}/")
        page.locator("#votes-whole [data-testid=vote-support]").click()
        page.wait_for_url(f"**/rounds/{round.pk}/#votes-whole")
        expect(page.locator("#votes-whole [data-testid=vote-support]")).to_have_attribute("aria-pressed", "true")
        assert Vote.objects.get(anchor="").position == "support"

        button(page, "purpose", "block").click()  # no dialog without JavaScript: a page asks for the rationale
        expect(page.get_by_role("heading", name="Block clause purpose")).to_be_visible()
        page.get_by_label("Rationale").fill(RATIONALE)
        page.get_by_role("button", name="Save my vote").click()
        page.wait_for_url(f"**/rounds/{round.pk}/#votes-purpose")
        expect(button(page, "purpose", "block")).to_have_attribute("aria-pressed", "true")
        assert Vote.objects.get(anchor="purpose").rationale == RATIONALE
    finally:
        context.close()


def test_results_page_shows_the_bars(page, stakeholder, round):
    from consultations.services import votes as services

    services.vote_cast(actor=stakeholder, round=round, anchor="purpose", position="support")
    page.goto(f"/rounds/{round.pk}/results/")
    row = page.get_by_test_id("result-purpose")
    expect(row).to_contain_text("consensus: 100% support across 1 group")
    row.locator("summary").click()
    expect(row.locator(".vote-groups")).to_contain_text("Developers")
