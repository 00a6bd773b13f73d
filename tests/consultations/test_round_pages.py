"""Round pages: the round page with counts and stance mix, threads (paginated, with a query count
that does not grow with comments), inline forms, moderation, the dashboard and my activity."""
import pytest
from django.test import Client

from consultations.models import Comment, DraftingRound, RoundState
from consultations.services import comment_io, comments

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round

pytestmark = pytest.mark.django_db


def login(user):
    client = Client()
    client.force_login(user)
    return client


def bulk_comments(round, facilitator, n, anchor="purpose", start=0):
    rows = "".join(f"b{i},Person {i % 7},,{anchor},{('support', 'oppose', 'concern')[i % 3]},Point number {i},,\n"
                   for i in range(start, start + n))
    comment_io.comments_import(actor=facilitator, round=round, filename="bulk.csv",
                               data=("external_id,author,group,anchor,stance,body,suggestion,created_at\n" + rows).encode())


def test_round_page_shows_counts_stance_mix_and_unanswered(client, facilitator, stakeholder, open_round):
    comments.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="One", stance="support")
    answered = comments.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="Two", stance="oppose")
    comments.comment_dispose(actor=facilitator, comment=answered, disposition="rejected")
    page = client.get(f"/rounds/{open_round.pk}/").content.decode()
    assert "1 comment still unanswered" in page and "2 comments" in page
    assert 'data-testid="thread-link-purpose"' in page and f"/rounds/{open_round.pk}/thread/purpose/" in page
    assert "1 support · 1 oppose" in page
    assert "Log in" in page  # anonymous readers are told how to take part


def test_round_page_offers_inline_forms_to_eligible_stakeholders(stakeholder, open_round):
    page = login(stakeholder).get(f"/rounds/{open_round.pk}/").content.decode()
    assert 'data-testid="comment-form-purpose"' in page


def test_members_only_round_asks_anonymous_readers_to_log_in(client, stakeholder, facilitator, v1):
    round = make_round(facilitator, v1, visibility="members")
    response = client.get(f"/rounds/{round.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert login(stakeholder).get(f"/rounds/{round.pk}/").status_code == 200
    assert client.get("/rounds/999999/").status_code == 404


def test_round_page_queries_do_not_grow_with_comments(client, facilitator, open_round, django_assert_max_num_queries):
    bulk_comments(open_round, facilitator, 5)
    with django_assert_max_num_queries(25) as few:
        assert client.get(f"/rounds/{open_round.pk}/").status_code == 200
    bulk_comments(open_round, facilitator, 300, start=5)
    bulk_comments(open_round, facilitator, 100, anchor="criteria-li1", start=400)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(f"/rounds/{open_round.pk}/").content.decode()
    assert "305 comments" in page


def test_thread_is_paginated_and_its_queries_do_not_grow(client, facilitator, stakeholder, other_stakeholder,
                                                       open_round, django_assert_max_num_queries):
    bulk_comments(open_round, facilitator, 3)
    top = Comment.objects.filter(round=open_round).order_by("created_at", "pk").first()
    reply = comments.comment_create(actor=stakeholder, round=open_round, parent=top, body="A reply")
    comments.comment_create(actor=other_stakeholder, round=open_round, parent=reply, body="A reply to the reply")
    url = f"/rounds/{open_round.pk}/thread/purpose/"
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    bulk_comments(open_round, facilitator, 1000, start=3)
    for parent in Comment.objects.filter(round=open_round, depth=0).order_by("created_at", "pk")[1:6]:
        comments.comment_create(actor=stakeholder, round=open_round, parent=parent, body="Another reply")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    page = response.content.decode()
    assert page.count('data-testid="comment"') == 20 + 2 + 5  # one page of top-level comments, plus the replies
    assert "Page 1 of 51" in page and "A reply to the reply" in page
    last = client.get(url + "?page=51").content.decode()
    assert "Point number 1002" in last


def test_a_comment_shows_its_first_replies_and_links_to_the_rest(client, facilitator, stakeholder, open_round,
                                                                  django_assert_max_num_queries):
    from consultations.selectors.rounds import REPLIES_SHOWN

    bulk_comments(open_round, facilitator, 2)
    busy, quiet = Comment.objects.filter(round=open_round).order_by("created_at", "pk")
    for i in range(REPLIES_SHOWN + 3):
        comments.comment_create(actor=stakeholder, round=open_round, parent=busy, body=f"Reply number {i}")
    comments.comment_create(actor=stakeholder, round=open_round, parent=quiet, body="The only reply")
    url = f"/rounds/{open_round.pk}/thread/purpose/"

    page = client.get(url).content.decode()
    assert page.count("Reply number") == REPLIES_SHOWN
    assert f"Reply number {REPLIES_SHOWN - 1}<" in page and f"Reply number {REPLIES_SHOWN}<" not in page
    assert f'data-testid="more-replies-{busy.pk}"' in page and "Show 3 more replies" in page
    assert f'data-testid="more-replies-{quiet.pk}"' not in page and "The only reply" in page

    with django_assert_max_num_queries(30):
        expanded = client.get(f"{url}?page=1&replies={busy.pk}").content.decode()
    assert expanded.count("Reply number") == REPLIES_SHOWN + 3
    assert f'data-testid="more-replies-{busy.pk}"' not in expanded
    assert client.get(f"{url}?replies=nonsense").status_code == 200


def test_post_reply_edit_and_withdraw_through_the_pages(stakeholder, other_stakeholder, open_round):
    alice = login(stakeholder)
    url = f"/rounds/{open_round.pk}/thread/purpose/"
    response = alice.post(url, {"body": "The purpose is *vague*.", "stance": "concern", "suggestion": "New text."})
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.anchor, comment.stance, comment.suggestion) == ("purpose", "concern", "New text.")
    response = login(other_stakeholder).post(url, {"body": "Agreed.", "stance": "support", "parent": comment.pk,
                                                   "next": url})
    assert response.status_code == 302 and response["Location"].endswith(f"#c{Comment.objects.latest('pk').pk}")
    alice.post(f"/comments/{comment.pk}/edit/", {"body": "The purpose is unclear.", "stance": "concern", "next": url})
    comment.refresh_from_db()
    assert comment.body == "The purpose is unclear." and comment.revisions.count() == 1
    page = alice.get(url).content.decode()
    assert "Earlier versions of this comment (1)" in page and "<del>" in page  # the suggestion's redline
    response = login(other_stakeholder).post(f"/comments/{comment.pk}/edit/", {"body": "Hijack", "next": url})
    comment.refresh_from_db()
    assert comment.body == "The purpose is unclear."
    alice.post(f"/comments/{comment.pk}/withdraw/", {"next": url})
    comment.refresh_from_db()
    assert comment.withdrawn_at is not None


def test_a_refused_comment_shows_the_reason_and_stores_nothing(stakeholder, open_round):
    response = login(stakeholder).post(f"/rounds/{open_round.pk}/thread/purpose/", {"body": "x" * 20_001, "stance": "neutral"})
    assert response.status_code == 400 and "limit is 20,000" in response.content.decode()
    response = login(stakeholder).post(f"/rounds/{open_round.pk}/thread/purpose/", {"body": "ok", "stance": "angry"})
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_comment_markup_is_inert(client, stakeholder, open_round):
    comments.comment_create(actor=stakeholder, round=open_round, anchor="purpose",
                            body="<script>window.pwned = 1</script> and [click me](javascript:window.pwned=2)",
                            suggestion="<img src=x onerror=alert(1)>")
    page = client.get(f"/rounds/{open_round.pk}/thread/purpose/").content.decode()
    assert "<script>window.pwned" not in page and 'href="javascript:' not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_facilitator_hides_and_answers_from_the_thread(facilitator, stakeholder, open_round):
    comment = comments.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="Rude words")
    fran = login(facilitator)
    url = f"/rounds/{open_round.pk}/thread/purpose/"
    assert 'data-testid="moderate-form"' in fran.get(url).content.decode()
    assert 'data-testid="moderate-form"' not in login(stakeholder).get(url).content.decode()
    fran.post(f"/comments/{comment.pk}/moderate/", {"action": "hide", "reason": "Abusive", "next": url})
    fran.post(f"/comments/{comment.pk}/disposition/", {"disposition": "out-of-scope", "response": "Not about the text.",
                                                      "next": url})
    comment.refresh_from_db()
    assert comment.hidden and comment.hidden_reason == "Abusive" and comment.disposition == "out-of-scope"
    page = Client().get(url).content.decode()
    assert "Rude words" not in page
    # A stakeholder posting to the facilitator-only URLs changes nothing.
    login(stakeholder).post(f"/comments/{comment.pk}/moderate/", {"action": "restore", "reason": "mine", "next": url})
    comment.refresh_from_db()
    assert comment.hidden


def test_dashboard_is_for_facilitators_and_answers_in_bulk(client, facilitator, stakeholder, open_round):
    ids = [comments.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body=f"P{i}").pk for i in range(3)]
    assert login(stakeholder).get("/facilitate/").status_code == 403
    assert client.get("/facilitate/").status_code == 302
    fran = login(facilitator)
    page = fran.get(f"/facilitate/?round={open_round.pk}&disposition=pending").content.decode()
    assert 'data-testid="dispositions-table"' in page and "3 comments still unanswered" in page
    response = fran.post("/facilitate/dispositions/", {"round": open_round.pk, "comment_ids": ids[:2],
                                                       "disposition": "accepted", "response": "Yes.",
                                                       "next": "/facilitate/"})
    assert response.status_code == 302
    assert Comment.objects.filter(disposition="accepted").count() == 2
    page = fran.get(f"/facilitate/?round={open_round.pk}").content.decode()
    assert "1 comment still unanswered" in page


def test_dashboard_moderation_queue_and_state_controls(facilitator, stakeholder, other_stakeholder, open_round):
    comment = comments.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="Suspicious")
    comments.comment_report(actor=other_stakeholder, comment=comment, reason="spam")
    fran = login(facilitator)
    page = fran.get("/facilitate/").content.decode()
    assert 'data-testid="moderation-queue"' in page and "Suspicious" in page
    fran.post(f"/rounds/{open_round.pk}/state/", {"action": "close", "next": "/facilitate/"})
    assert DraftingRound.objects.get(pk=open_round.pk).state == RoundState.CLOSED
    assert login(stakeholder).post(f"/rounds/{open_round.pk}/state/", {"action": "open"}).status_code in (302, 403)


def test_round_create_and_edit_pages(facilitator, stakeholder, v1, groups):
    assert login(stakeholder).get("/rounds/new/").status_code == 403
    fran = login(facilitator)
    assert "Schedule the round" in fran.get("/rounds/new/").content.decode()
    response = fran.post("/rounds/new/", {
        "version": v1.pk, "title": "From the page", "description": "", "opens_at": "2030-01-01T09:00",
        "closes_at": "2030-01-15T17:00", "eligible_groups": [groups["developers"].pk], "visibility": "public",
        "hide_after_reports": 3, "quorum": 2, "threshold": "3/4", "blocks_prevent_consensus": "on",
    })
    assert response.status_code == 302
    round = DraftingRound.objects.get(title="From the page")
    assert (round.threshold, round.quorum, round.opens_at.hour) == ("3/4", 2, 9)
    response = fran.post("/rounds/new/", {"version": v1.pk, "title": "Bad", "opens_at": "2030-01-01T09:00",
                                          "closes_at": "2030-01-15T17:00", "visibility": "public",
                                          "hide_after_reports": 3, "quorum": 1, "threshold": "7/3"})
    assert response.status_code == 200 and "threshold" in response.content.decode()
    response = fran.post(f"/rounds/{round.pk}/edit/", {
        "title": "Renamed", "opens_at": "2030-01-01T09:00", "closes_at": "2030-01-20T17:00", "visibility": "public",
        "hide_after_reports": 3, "quorum": 2, "threshold": "3/4", "blocks_prevent_consensus": "on",
        "eligible_groups": [groups["developers"].pk],
    })
    round.refresh_from_db()
    assert response.status_code == 302 and round.title == "Renamed" and round.closes_at.day == 20


def test_my_activity_lists_my_comments_and_their_answers(client, facilitator, stakeholder, open_round):
    comment = comments.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="Mine")
    comments.comment_dispose(actor=facilitator, comment=comment, disposition="deferred", response="Later.")
    page = login(stakeholder).get("/me/activity/").content.decode()
    assert "Mine" in page and "Deferred" in page and "Later." in page
    assert client.get("/me/activity/").status_code == 302


def test_version_page_banner_links_the_round(client, open_round):
    page = client.get("/definitions/sample/0.1/").content.decode()
    assert 'data-testid="round-banner"' in page and f"/rounds/{open_round.pk}/" in page
