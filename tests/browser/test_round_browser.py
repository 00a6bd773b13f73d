"""In the browser: a stakeholder comments, replies and edits; a facilitator hides and answers; a
script tag and a javascript: link in a comment stay inert."""
import pytest

from consultations.models import Comment
from tests.conftest import PASSWORD
from tests.consultations.rounds_factories import V1, make_definition, make_round, make_version

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVIL = "Look <script>window.pwned = 1</script> here and [click me](javascript:window.pwned=2) please"


def test_stakeholder_comments_replies_and_edits_and_facilitator_moderates(page, browser, live_server, facilitator,
                                                                         stakeholder, other_stakeholder):
    round = make_round(facilitator, make_version(make_definition(), "0.1", V1))
    log_in(page, "alice", PASSWORD)
    page.goto(f"/rounds/{round.pk}/")
    page.get_by_test_id("thread-link-purpose").click()
    page.get_by_label("Your comment").fill(EVIL)
    page.get_by_label("Stance").select_option("concern")
    page.get_by_role("button", name="Post comment").click()
    first = page.get_by_test_id("comment").first
    first.wait_for()
    assert "click me" in first.get_by_test_id("comment-body").inner_text()
    assert page.evaluate("window.pwned") is None
    first.get_by_test_id("comment-body").get_by_text("click me").click()  # no link left: clicking runs nothing
    assert page.evaluate("window.pwned") is None
    assert page.locator("a[href^='javascript']").count() == 0

    # Edit it.
    first.locator("summary", has_text="Edit").click()
    first.get_by_label("Your comment").fill("The purpose should say why samples matter.")
    first.get_by_role("button", name="Save changes").click()
    page.get_by_test_id("comment-body").get_by_text("The purpose should say why samples matter.").wait_for()
    assert Comment.objects.get().revisions.count() == 1

    # Bob replies.
    bob = browser.new_context(base_url=live_server.url).new_page()
    log_in(bob, "bob", PASSWORD)
    bob.goto(f"/rounds/{round.pk}/thread/purpose/")
    top = bob.get_by_test_id("comment").first
    top.locator("summary", has_text="Reply").click()
    top.get_by_label("Your reply").fill("Agreed, and say who they are for.")
    top.get_by_role("button", name="Post reply").click()
    bob.get_by_test_id("comment-body").get_by_text("Agreed, and say who they are for.").wait_for()
    assert Comment.objects.filter(depth=1).count() == 1

    # The facilitator hides the reply and answers the comment.
    fran = browser.new_context(base_url=live_server.url).new_page()
    log_in(fran, "fran", PASSWORD)
    fran.goto(f"/rounds/{round.pk}/thread/purpose/")
    reply = fran.locator(".replies [data-testid=comment]").first
    reply.locator("summary", has_text="Hide").click()
    reply.get_by_label("Reason").fill("Off topic for this clause")
    reply.get_by_role("button", name="Hide").click()
    fran.get_by_text("Hidden by the moderators: Off topic for this clause").wait_for()
    top = fran.get_by_test_id("comment").first
    top.locator("summary", has_text="Answer").first.click()
    top.get_by_label("Disposition").first.select_option("accepted")
    top.get_by_label("Public response").first.fill("Accepted: the next draft says why.")
    top.get_by_role("button", name="Save answer").first.click()
    fran.get_by_test_id("response").first.wait_for()

    page.goto(f"/rounds/{round.pk}/thread/purpose/")
    assert "Accepted: the next draft says why." in page.get_by_test_id("response").first.inner_text()
    assert page.get_by_test_id("comment-body").get_by_text("Agreed, and say who they are for.").count() == 0  # hidden
    comment = Comment.objects.get(depth=0)
    assert comment.disposition == "accepted" and Comment.objects.get(depth=1).hidden
