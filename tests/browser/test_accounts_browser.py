"""A newcomer signs up, logs out and in again, edits the profile and sees it."""
import pytest

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_log_in_edit_profile(page, groups):
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Display name").fill("Dana D.")
    page.get_by_label("Stakeholder group").select_option(label="Developers")
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_label("Password again").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/accounts/profile/")
    assert page.get_by_test_id("display-name").inner_text() == "Dana D."

    page.get_by_role("button", name="Log out").click()
    log_in(page, "dana", "a-long-enough-passphrase")

    page.goto("/accounts/profile/edit/")
    page.get_by_label("Affiliation").fill("Open Research Lab")
    page.get_by_label("Stakeholder group").select_option(label="Civil society")
    page.get_by_label("Conflict of interest").fill("I advise a foundation that funds open models.")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url("**/accounts/profile/")
    assert page.get_by_test_id("affiliation").inner_text() == "Open Research Lab"
    assert page.get_by_test_id("group").inner_text() == "Civil society"
    assert "funds open models" in page.get_by_test_id("coi").inner_text()
