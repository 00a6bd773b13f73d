"""Comment services: posting, replies, edits with history, withdrawal, reports, moderation and
dispositions; every refusal stores nothing and every change is audited."""
import pytest
from django.test import override_settings

from consultations.models import Comment, CommentRevision, RoundState
from consultations.selectors import rounds as selectors
from consultations.services import comments as services
from consultations.services import rounds as round_services
from workbench.errors import Conflict, NotAllowed, ValidationFailed
from workbench.models import AuditEvent

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round

pytestmark = pytest.mark.django_db


def post(user, round, body="A comment.", **kw):
    return services.comment_create(actor=user, round=round, body=body, **kw)


def test_comment_on_a_clause_and_on_the_whole_version(stakeholder, open_round):
    on_clause = post(stakeholder, open_round, "Too vague.", anchor="purpose", stance="concern",
                     suggestion="This definition says exactly what a sample is.")
    whole = post(stakeholder, open_round, "Good overall.", anchor=None, stance="support")
    assert (on_clause.anchor, on_clause.stance, on_clause.depth) == ("purpose", "concern", 0)
    assert on_clause.author.user == stakeholder and on_clause.created_at is not None
    assert whole.anchor == ""
    event = AuditEvent.objects.get(verb="comment.posted", target_id=str(on_clause.pk))
    assert event.scope == "definition:sample" and event.data["anchor"] == "purpose"


def test_replies_nest_three_levels_and_keep_the_anchor(stakeholder, other_stakeholder, open_round):
    top = post(stakeholder, open_round, anchor="purpose")
    reply = post(other_stakeholder, open_round, "Why?", parent=top)
    reply2 = post(stakeholder, open_round, "Because.", parent=reply.pk)
    assert (reply.depth, reply2.depth, reply2.anchor) == (1, 2, "purpose")
    with pytest.raises(ValidationFailed, match="three levels"):
        post(other_stakeholder, open_round, "And?", parent=reply2)
    with pytest.raises(ValidationFailed, match="same clause"):
        post(other_stakeholder, open_round, "Elsewhere", parent=top, anchor="criteria-li1")
    assert Comment.objects.count() == 3


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"anchor": "no-such-clause"}, ValidationFailed, "no clause with the anchor"),
        ({"body": ""}, ValidationFailed, "empty"),
        ({"body": "   \n\t "}, ValidationFailed, "empty"),
        ({"body": "x" * 20_001}, ValidationFailed, "limit is 20,000"),
        ({"body": "nul \x00 byte"}, ValidationFailed, "NUL"),
        ({"stance": "furious"}, ValidationFailed, "Unknown stance"),
        ({"anchor": "", "suggestion": "New text"}, ValidationFailed, "rewords one clause"),
        ({"suggestion": "y" * 20_001}, ValidationFailed, "limit"),
    ],
)
def test_bad_comments_are_refused_and_nothing_is_stored(stakeholder, open_round, kwargs, error, message):
    args = {"body": "A comment.", "anchor": "purpose", **kwargs}
    with pytest.raises(error, match=message):
        services.comment_create(actor=stakeholder, round=open_round, **args)
    assert not Comment.objects.exists()
    assert not AuditEvent.objects.filter(verb="comment.posted").exists()


def test_a_body_at_the_limit_is_accepted(stakeholder, open_round):
    assert len(post(stakeholder, open_round, "x" * 20_000, anchor="purpose").body) == 20_000


@override_settings(WORKBENCH_MAX_COMMENT_CHARS=10)
def test_the_limit_comes_from_settings(stakeholder, open_round):
    with pytest.raises(ValidationFailed, match="limit is 10"):
        post(stakeholder, open_round, "eleven char", anchor="purpose")


@pytest.mark.parametrize("state, message", [(RoundState.SCHEDULED, "not opened yet"), (RoundState.CLOSED, "comments are closed")])
def test_no_comments_unless_the_round_is_open(facilitator, stakeholder, v1, state, message):
    round = make_round(facilitator, v1, state=state)
    with pytest.raises(Conflict, match=message):
        post(stakeholder, round, anchor="purpose")
    assert not Comment.objects.exists()


def test_only_eligible_groups_comment(facilitator, stakeholder, other_stakeholder, outsider, v1, groups):
    round = make_round(facilitator, v1, eligible_groups=[groups["developers"]])
    post(stakeholder, round, anchor="purpose")
    with pytest.raises(NotAllowed, match="other stakeholder groups"):
        post(other_stakeholder, round, anchor="purpose")
    with pytest.raises(NotAllowed, match="stakeholder group in your profile"):
        post(outsider, round, anchor="purpose")
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed, match="Sign in"):
        post(AnonymousUser(), round, anchor="purpose")
    assert Comment.objects.count() == 1


def test_edit_keeps_the_earlier_text(stakeholder, open_round):
    comment = post(stakeholder, open_round, "First thought.", anchor="purpose", stance="question")
    services.comment_edit(actor=stakeholder, comment=comment, body="Second thought.", stance="concern")
    comment.refresh_from_db()
    assert (comment.body, comment.stance) == ("Second thought.", "concern") and comment.edited_at
    revision = CommentRevision.objects.get(comment=comment)
    assert (revision.body, revision.stance) == ("First thought.", "question")
    services.comment_edit(actor=stakeholder, comment=comment, body="Second thought.")  # no change
    assert comment.revisions.count() == 1
    assert AuditEvent.objects.filter(verb="comment.edited").count() == 1


def test_nobody_edits_or_withdraws_anothers_comment(stakeholder, other_stakeholder, facilitator, open_round):
    comment = post(stakeholder, open_round, anchor="purpose")
    for actor in (other_stakeholder, facilitator):
        with pytest.raises(NotAllowed, match="Only the author"):
            services.comment_edit(actor=actor, comment=comment, body="Hijacked")
        with pytest.raises(NotAllowed):
            services.comment_withdraw(actor=actor, comment=comment)
    comment.refresh_from_db()
    assert comment.body == "A comment." and comment.withdrawn_at is None


def test_no_edits_after_the_round_closes(facilitator, stakeholder, open_round):
    comment = post(stakeholder, open_round, anchor="purpose")
    round_services.round_close(actor=facilitator, round=open_round)
    with pytest.raises(Conflict):
        services.comment_edit(actor=stakeholder, comment=comment, body="Late")
    with pytest.raises(Conflict):
        services.comment_withdraw(actor=stakeholder, comment=comment)


def test_withdrawn_comments_leave_the_counts(stakeholder, open_round):
    keep = post(stakeholder, open_round, anchor="purpose", stance="support")
    gone = post(stakeholder, open_round, anchor="purpose", stance="oppose")
    services.comment_withdraw(actor=stakeholder, comment=gone)
    counts = selectors.clause_counts(open_round)["purpose"]
    assert counts.total == 1 and counts.stances == {"support": 1}
    assert Comment.objects.filter(pk=gone.pk, withdrawn_at__isnull=False).exists()  # kept, never deleted
    with pytest.raises(Conflict, match="withdrawn"):
        services.comment_withdraw(actor=stakeholder, comment=gone)
    assert keep.pk != gone.pk


def test_reports_hide_a_comment_pending_review(facilitator, stakeholder, other_stakeholder, outsider, v1):
    round = make_round(facilitator, v1, hide_after_reports=2)
    comment = post(stakeholder, round, anchor="purpose")
    services.comment_report(actor=other_stakeholder, comment=comment, reason="spam")
    comment.refresh_from_db()
    assert comment.report_count == 1 and not comment.hidden
    with pytest.raises(Conflict, match="already reported"):
        services.comment_report(actor=other_stakeholder, comment=comment, reason="offensive")
    services.comment_report(actor=outsider, comment=comment, reason="off-topic")
    comment.refresh_from_db()
    assert comment.hidden and "pending review" in comment.hidden_reason
    assert selectors.clause_counts(round) == {}
    assert AuditEvent.objects.filter(verb="comment.auto_hidden", target_id=str(comment.pk)).count() == 1


def test_report_needs_a_known_reason_and_not_ones_own(stakeholder, other_stakeholder, open_round):
    comment = post(stakeholder, open_round, anchor="purpose")
    with pytest.raises(ValidationFailed, match="reason"):
        services.comment_report(actor=other_stakeholder, comment=comment, reason="boring")
    with pytest.raises(ValidationFailed, match="own comment"):
        services.comment_report(actor=stakeholder, comment=comment, reason="spam")
    assert comment.reports.count() == 0


def test_facilitators_hide_and_restore_with_a_reason(facilitator, stakeholder, other_stakeholder, open_round):
    comment = post(stakeholder, open_round, anchor="purpose")
    services.comment_report(actor=other_stakeholder, comment=comment, reason="spam")
    with pytest.raises(ValidationFailed, match="Give a reason"):
        services.comment_hide(actor=facilitator, comment=comment, reason="  ")
    with pytest.raises(NotAllowed):
        services.comment_hide(actor=other_stakeholder, comment=comment, reason="I dislike it")
    services.comment_hide(actor=facilitator, comment=comment, reason="Personal attack")
    comment.refresh_from_db()
    assert comment.hidden and comment.hidden_reason == "Personal attack" and comment.report_count == 0
    assert not selectors.moderation_queue(facilitator).exists()
    services.comment_restore(actor=facilitator, comment=comment, reason="On reflection, fair criticism")
    comment.refresh_from_db()
    assert not comment.hidden and comment.hidden_reason == ""
    verbs = list(AuditEvent.objects.filter(target_id=str(comment.pk), target_type="consultations.comment")
                 .order_by("id").values_list("verb", flat=True))
    assert verbs == ["comment.posted", "comment.reported", "comment.hidden", "comment.restored"]
    with pytest.raises(Conflict, match="not hidden"):
        services.comment_restore(actor=facilitator, comment=comment, reason="again")


def test_disposition_and_response(facilitator, stakeholder, open_round):
    comment = post(stakeholder, open_round, anchor="purpose")
    services.comment_dispose(actor=facilitator, comment=comment, disposition="accepted", response="Done in 0.2.")
    comment.refresh_from_db()
    assert (comment.disposition, comment.response, comment.disposition_by) == ("accepted", "Done in 0.2.", facilitator)
    assert comment.disposition_at is not None
    services.comment_dispose(actor=facilitator, comment=comment, disposition="pending")
    comment.refresh_from_db()
    assert comment.disposition == "" and comment.disposition_by is None
    assert AuditEvent.objects.filter(verb="comment.disposed", target_id=str(comment.pk)).count() == 2
    with pytest.raises(ValidationFailed, match="Unknown disposition"):
        services.comment_dispose(actor=facilitator, comment=comment, disposition="maybe")
    with pytest.raises(NotAllowed):
        services.comment_dispose(actor=stakeholder, comment=comment, disposition="accepted")


def test_duplicate_needs_another_comment_of_the_same_round(facilitator, stakeholder, v1, open_round):
    first = post(stakeholder, open_round, anchor="purpose")
    second = post(stakeholder, open_round, anchor="purpose")
    with pytest.raises(ValidationFailed, match="duplicate_of"):
        services.comment_dispose(actor=facilitator, comment=second, disposition="duplicate")
    with pytest.raises(ValidationFailed, match="itself"):
        services.comment_dispose(actor=facilitator, comment=second, disposition="duplicate", duplicate_of=second.pk)
    round_services.round_close(actor=facilitator, round=open_round)
    elsewhere = make_round(facilitator, v1)
    foreign = post(stakeholder, elsewhere, anchor="purpose")
    with pytest.raises(ValidationFailed, match="not in round"):
        services.comment_dispose(actor=facilitator, comment=second, disposition="duplicate", duplicate_of=foreign.pk)
    services.comment_dispose(actor=facilitator, comment=second, disposition="duplicate", duplicate_of=first.pk)
    second.refresh_from_db()
    assert second.duplicate_of == first


def test_bulk_dispositions_are_all_or_nothing(facilitator, stakeholder, v1, open_round):
    comments = [post(stakeholder, open_round, f"Point {i}", anchor="purpose") for i in range(4)]
    ids = [c.pk for c in comments[:3]]
    assert services.comments_dispose_bulk(actor=facilitator, round=open_round, comment_ids=ids,
                                          disposition="rejected", response="Out of step with the goal.") == 3
    assert Comment.objects.filter(disposition="rejected").count() == 3
    round_services.round_close(actor=facilitator, round=open_round)
    other = make_round(facilitator, v1)
    foreign = post(stakeholder, other, anchor="purpose")
    with pytest.raises(ValidationFailed, match="Not in round"):
        services.comments_dispose_bulk(actor=facilitator, round=open_round, comment_ids=[comments[3].pk, foreign.pk],
                                       disposition="accepted")
    assert Comment.objects.get(pk=comments[3].pk).disposition == ""
    with pytest.raises(ValidationFailed, match="itself"):
        services.comments_dispose_bulk(actor=facilitator, round=open_round, comment_ids=ids, disposition="duplicate",
                                       duplicate_of=ids[0])
    event = AuditEvent.objects.get(verb="comments.disposed_in_bulk")
    assert event.data["comment_ids"] == sorted(ids)


def test_selectors_count_per_clause_in_one_query(stakeholder, other_stakeholder, facilitator, open_round, django_assert_num_queries):
    for stance in ("support", "support", "oppose"):
        post(stakeholder, open_round, anchor="purpose", stance=stance)
    hidden = post(other_stakeholder, open_round, anchor="purpose", stance="concern")
    services.comment_hide(actor=facilitator, comment=hidden, reason="spam")
    answered = post(other_stakeholder, open_round, anchor="", stance="question")
    services.comment_dispose(actor=facilitator, comment=answered, disposition="accepted")
    with django_assert_num_queries(1):
        counts = selectors.clause_counts(open_round)
    assert counts["purpose"].total == 3 and counts["purpose"].unanswered == 3
    assert counts["purpose"].stances == {"support": 2, "oppose": 1}
    assert counts[""].total == 1 and counts[""].unanswered == 0
    totals = selectors.round_totals(counts)
    assert (totals.total, totals.unanswered) == (4, 3)


def test_closing_during_posting_leaves_no_late_comment(facilitator, stakeholder, open_round):
    """The round's state is read under a lock inside the posting transaction; a stale object in
    hand does not let a comment through after a close."""
    stale = open_round
    round_services.round_close(actor=facilitator, round=open_round)
    assert stale.state == RoundState.OPEN  # the caller's copy is out of date
    with pytest.raises(Conflict):
        post(stakeholder, stale, anchor="purpose")
    assert not Comment.objects.exists()


def test_users_without_a_profile_cannot_comment(open_round, django_user_model):
    user = django_user_model.objects.create_user("ghost", password="x-long-password-1")
    with pytest.raises(NotAllowed):
        post(user, open_round, anchor="purpose")
    assert not Comment.objects.exists()
