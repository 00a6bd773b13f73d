"""Writes for comments: post, reply, edit (keeping revisions), withdraw; report, hide and restore;
dispositions one at a time or in bulk. Permissions live here so the API, the pages and the admin
agree: only stakeholders of eligible groups comment, only while the round is open; nobody edits
another's comment; facilitators moderate and answer."""
from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from definitions.models import Clause
from workbench import audit
from workbench.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from workbench.models import Stakeholder
from workbench.roles import is_facilitator

from ..models import (
    Comment,
    CommentReport,
    CommentRevision,
    Disposition,
    DraftingRound,
    ReportReason,
    RoundState,
    Stance,
    Visibility,
)

MAX_DEPTH = 2  # depth 0, 1, 2: a comment, a reply, a reply to a reply
MAX_BULK = 5000
PENDING_WORDS = ("", "pending")


def max_chars() -> int:
    return settings.WORKBENCH_MAX_COMMENT_CHARS


def _scope(round: DraftingRound) -> str:
    return round.definition.audit_scope


def _stakeholder(actor) -> Stakeholder | None:
    if not getattr(actor, "is_authenticated", False):
        return None
    return Stakeholder.objects.select_related("group").filter(user=actor).first()


def _require_facilitator(actor, what: str) -> None:
    if not is_facilitator(actor):
        raise NotAllowed(f"Only facilitators can {what}.")


# -- checks shared with the import and the pages -------------------------------------------------

def clean_text(value, *, field: str, label: str, required: bool) -> str:
    """Body or suggestion text: stripped, within the limit, no NUL characters (PostgreSQL refuses them)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"The {label} must be text.", field=field)
    value = value.strip()
    if required and not value:
        raise ValidationFailed(f"The {label} is empty; write something first.", field=field)
    limit = max_chars()
    if len(value) > limit:
        raise ValidationFailed(
            f"The {label} is {len(value):,} characters long; the limit is {limit:,}.", field=field
        )
    if "\x00" in value:
        raise ValidationFailed(f"The {label} contains a NUL character.", field=field)
    return value


def clean_stance(value) -> str:
    if value is None or value == "":
        return Stance.NEUTRAL
    if value not in Stance.values:
        raise ValidationFailed(
            f"Unknown stance {value!r}; use one of {', '.join(Stance.values)}.", field="stance"
        )
    return value


def clean_disposition(value) -> str:
    if value is None or value in PENDING_WORDS:
        return Disposition.PENDING
    if value not in Disposition.values:
        choices = ", ".join(v for v in Disposition.values if v) + ", pending"
        raise ValidationFailed(f"Unknown disposition {value!r}; use one of {choices}.", field="disposition")
    return value


def eligibility_problem(stakeholder: Stakeholder | None, round: DraftingRound, *, eligible_ids=None) -> str | None:
    """Why this stakeholder may not comment or vote in the round, or None if they may."""
    if stakeholder is None:
        return "Sign in to take part."
    if stakeholder.group_id is None:
        return "Choose your stakeholder group in your profile to take part."
    if eligible_ids is None:
        eligible_ids = set(round.eligible_groups.values_list("pk", flat=True))
    if eligible_ids and stakeholder.group_id not in eligible_ids:
        return f"This round is open to other stakeholder groups than {stakeholder.group.name}."
    return None


def round_state_problem(round: DraftingRound) -> str | None:
    if round.state == RoundState.SCHEDULED:
        return f"Round {round.number} has not opened yet; it opens {round.opens_at:%d %B %Y at %H:%M} UTC."
    if round.state != RoundState.OPEN:
        return f"Round {round.number} is {round.state}; comments are closed."
    return None


def _lock_round_shared(round_id: int) -> str:
    """Read the round's state under a shared lock: many comments may be posted at once, but a
    close (which takes FOR UPDATE) waits for them, so no comment lands after a round closes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT state FROM {DraftingRound._meta.db_table} WHERE id = %s FOR SHARE", [round_id])
            row = cursor.fetchone()
    else:  # SQLite serialises writers already (IMMEDIATE transactions)
        row = DraftingRound.objects.filter(pk=round_id).values_list("state").first()
    if row is None:
        raise NotFound("That round no longer exists.")
    return row[0]


def anchor_in_version(version_id: int, anchor: str) -> bool:
    return anchor == "" or Clause.objects.filter(version_id=version_id, anchor=anchor).exists()


def _can_read_round(actor, round: DraftingRound) -> bool:
    return round.visibility == Visibility.PUBLIC or getattr(actor, "is_authenticated", False)


# -- posting and editing ---------------------------------------------------------------------

@transaction.atomic
def comment_create(
    *,
    actor,
    round: DraftingRound,
    body: str,
    anchor: str | None = "",
    stance: str = Stance.NEUTRAL,
    suggestion: str = "",
    parent: Comment | int | None = None,
) -> Comment:
    """Post a comment on a clause (``anchor``), on the whole version (``anchor`` ''), or a reply."""
    stakeholder = _stakeholder(actor)
    problem = eligibility_problem(stakeholder, round)
    if problem:
        raise NotAllowed(problem)
    state = _lock_round_shared(round.pk)
    round.state = state
    problem = round_state_problem(round)
    if problem:
        raise Conflict(problem)
    anchor = anchor or ""
    if not isinstance(anchor, str):
        raise ValidationFailed("The anchor must be a clause anchor or empty.", field="anchor")
    depth = 0
    if parent is not None:
        parent_id = parent.pk if isinstance(parent, Comment) else parent
        parent = Comment.objects.filter(pk=parent_id, round=round).first()
        if parent is None:
            raise ValidationFailed(f"Comment {parent_id} is not in round {round.number}.", field="parent")
        if parent.withdrawn_at is not None or parent.hidden:
            raise ValidationFailed("That comment was withdrawn or hidden; it takes no replies.", field="parent")
        if parent.depth >= MAX_DEPTH:
            raise ValidationFailed("Replies nest at most three levels deep; reply higher up the thread.", field="parent")
        if anchor and anchor != parent.anchor:
            raise ValidationFailed("A reply is on the same clause as the comment it answers.", field="anchor")
        anchor = parent.anchor
        depth = parent.depth + 1
    elif not anchor_in_version(round.version_id, anchor):
        raise ValidationFailed(
            f"Version {round.version.label} has no clause with the anchor {anchor!r}.", field="anchor"
        )
    body = clean_text(body, field="body", label="comment", required=True)
    suggestion = clean_text(suggestion, field="suggestion", label="suggestion", required=False)
    stance = clean_stance(stance)
    if suggestion and not anchor:
        raise ValidationFailed("A suggestion rewords one clause; comment on that clause to suggest new text.", field="suggestion")
    comment = Comment.objects.create(
        round=round, anchor=anchor, author=stakeholder, body=body, stance=stance, suggestion=suggestion,
        parent=parent, depth=depth, created_at=timezone.now(),
    )
    audit.record(
        actor=actor, verb="comment.posted" if parent is None else "comment.replied", target=comment,
        scope=_scope(round), data={"round": round.number, "anchor": anchor, "stance": stance,
                                   "parent": parent.pk if parent else None},
    )
    if parent is not None:
        from . import notifications

        comment.parent = parent
        notifications.notify_reply(comment)
    return comment


def _lock_own_comment(actor, comment: Comment, what: str) -> Comment:
    comment = Comment.objects.select_for_update(of=("self",)).select_related("round__definition", "author").get(pk=comment.pk)
    stakeholder = _stakeholder(actor)
    if stakeholder is None or comment.author_id != stakeholder.pk:
        raise NotAllowed(f"Only the author of a comment can {what} it.")
    problem = round_state_problem(comment.round)
    if problem:
        raise Conflict(problem.replace("comments are closed", f"comments can no longer be {what}ed"))
    if comment.withdrawn_at is not None:
        raise Conflict("This comment was withdrawn; it can no longer change.")
    return comment


@transaction.atomic
def comment_edit(*, actor, comment: Comment, body=None, stance=None, suggestion=None) -> Comment:
    """Change one's own comment while the round is open; the previous text is kept as a revision."""
    comment = _lock_own_comment(actor, comment, "edit")
    new_body = comment.body if body is None else clean_text(body, field="body", label="comment", required=True)
    new_stance = comment.stance if stance is None else clean_stance(stance)
    new_suggestion = comment.suggestion if suggestion is None else clean_text(
        suggestion, field="suggestion", label="suggestion", required=False
    )
    if new_suggestion and not comment.anchor:
        raise ValidationFailed("A suggestion rewords one clause; this comment is on the whole version.", field="suggestion")
    changed = [name for name, old, new in (("body", comment.body, new_body), ("stance", comment.stance, new_stance),
                                           ("suggestion", comment.suggestion, new_suggestion)) if old != new]
    if not changed:
        return comment
    CommentRevision.objects.create(comment=comment, body=comment.body, stance=comment.stance, suggestion=comment.suggestion)
    comment.body, comment.stance, comment.suggestion = new_body, new_stance, new_suggestion
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "stance", "suggestion", "edited_at"])
    audit.record(actor=actor, verb="comment.edited", target=comment, scope=_scope(comment.round),
                 data={"changed": changed})
    return comment


@transaction.atomic
def comment_withdraw(*, actor, comment: Comment) -> Comment:
    """Withdraw one's own comment while the round is open. It is kept (replies still hang from it)
    but no longer shown or counted."""
    comment = _lock_own_comment(actor, comment, "withdraw")
    comment.withdrawn_at = timezone.now()
    comment.save(update_fields=["withdrawn_at"])
    audit.record(actor=actor, verb="comment.withdrawn", target=comment, scope=_scope(comment.round))
    return comment


# -- moderation ----------------------------------------------------------------------------

@transaction.atomic
def comment_report(*, actor, comment: Comment, reason: str) -> Comment:
    """Report a comment as spam, offensive or off-topic. After the round's number of reports it is
    hidden pending a facilitator's review."""
    if not getattr(actor, "is_authenticated", False):
        raise NotAllowed("Sign in to report a comment.")
    comment = Comment.objects.select_related("round__definition", "author").get(pk=comment.pk)
    if not _can_read_round(actor, comment.round):
        raise NotFound("No such comment.")
    if reason not in ReportReason.values:
        raise ValidationFailed(f"Give a reason: one of {', '.join(ReportReason.values)}.", field="reason")
    if comment.author.user_id == actor.pk:
        raise ValidationFailed("You cannot report your own comment; withdraw it instead.")
    if comment.withdrawn_at is not None:
        raise Conflict("This comment was withdrawn by its author; there is nothing to report.")
    try:
        with transaction.atomic():
            CommentReport.objects.create(comment=comment, reporter=actor, reason=reason)
    except IntegrityError:
        raise Conflict("You have already reported this comment; the facilitators will review it.") from None
    Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
    limit = comment.round.hide_after_reports
    # A conditional UPDATE: whichever report reaches the limit hides it, exactly once.
    hidden_now = Comment.objects.filter(pk=comment.pk, hidden=False, report_count__gte=limit).update(
        hidden=True, hidden_reason=f"Hidden pending review after {limit} reports."
    )
    comment.refresh_from_db()
    audit.record(actor=actor, verb="comment.reported", target=comment, scope=_scope(comment.round),
                 data={"reason": reason, "report_count": comment.report_count})
    if hidden_now:
        audit.record(actor=None, verb="comment.auto_hidden", target=comment, scope=_scope(comment.round),
                     data={"report_count": comment.report_count})
    return comment


def _moderation_reason(reason) -> str:
    reason = (reason or "").strip() if isinstance(reason, str) or reason is None else None
    if reason is None:
        raise ValidationFailed("The reason must be text.", field="reason")
    if not reason:
        raise ValidationFailed("Give a reason; it is shown in place of the comment and kept in the history.", field="reason")
    if len(reason) > 300:
        raise ValidationFailed("The reason is at most 300 characters.", field="reason")
    return reason


@transaction.atomic
def comment_hide(*, actor, comment: Comment, reason: str) -> Comment:
    """Hide a comment (facilitators). It drops out of counts and reports but is never deleted."""
    _require_facilitator(actor, "hide comments")
    reason = _moderation_reason(reason)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    was_hidden = comment.hidden
    comment.hidden, comment.hidden_reason = True, reason
    comment.report_count = 0  # reviewed: it leaves the moderation queue
    comment.save(update_fields=["hidden", "hidden_reason", "report_count"])
    round = DraftingRound.objects.select_related("definition").get(pk=comment.round_id)
    audit.record(actor=actor, verb="comment.hidden", target=comment, scope=_scope(round),
                 data={"reason": reason, "was_hidden": was_hidden})
    return comment


@transaction.atomic
def comment_restore(*, actor, comment: Comment, reason: str) -> Comment:
    """Show a hidden comment again, or dismiss the reports against a visible one (facilitators)."""
    _require_facilitator(actor, "restore comments")
    reason = _moderation_reason(reason)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if not comment.hidden and comment.report_count == 0:
        raise Conflict("This comment is not hidden and has no pending reports.")
    was_hidden = comment.hidden
    comment.hidden, comment.hidden_reason, comment.report_count = False, "", 0
    comment.save(update_fields=["hidden", "hidden_reason", "report_count"])
    round = DraftingRound.objects.select_related("definition").get(pk=comment.round_id)
    audit.record(actor=actor, verb="comment.restored" if was_hidden else "comment.reports_dismissed",
                 target=comment, scope=_scope(round), data={"reason": reason})
    return comment


# -- dispositions ----------------------------------------------------------------------------

def _clean_response(response) -> str:
    return clean_text(response, field="response", label="response", required=False)


def _duplicate_target(round: DraftingRound, disposition: str, duplicate_of, exclude_ids) -> Comment | None:
    if disposition != Disposition.DUPLICATE:
        if duplicate_of not in (None, ""):
            raise ValidationFailed("duplicate_of is only for the disposition 'duplicate'.", field="duplicate_of")
        return None
    if duplicate_of in (None, ""):
        raise ValidationFailed("Say which comment this duplicates (duplicate_of).", field="duplicate_of")
    target_id = duplicate_of.pk if isinstance(duplicate_of, Comment) else duplicate_of
    try:
        target_id = int(target_id)
    except (TypeError, ValueError):
        raise ValidationFailed("duplicate_of is a comment id.", field="duplicate_of") from None
    if target_id in exclude_ids:
        raise ValidationFailed("A comment cannot be a duplicate of itself.", field="duplicate_of")
    target = Comment.objects.filter(pk=target_id, round=round).first()
    if target is None:
        raise ValidationFailed(f"Comment {target_id} is not in round {round.number}.", field="duplicate_of")
    return target


@transaction.atomic
def comment_dispose(*, actor, comment: Comment, disposition: str, response: str = "", duplicate_of=None) -> Comment:
    """Answer a comment: a disposition and a public response (facilitators). 'pending' undoes it."""
    _require_facilitator(actor, "answer comments")
    disposition = clean_disposition(disposition)
    response = _clean_response(response)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    round = DraftingRound.objects.select_related("definition").get(pk=comment.round_id)
    if comment.withdrawn_at is not None:
        raise Conflict("This comment was withdrawn by its author and needs no disposition.")
    target = _duplicate_target(round, disposition, duplicate_of, {comment.pk})
    before = {"disposition": comment.disposition, "response": comment.response, "duplicate_of": comment.duplicate_of_id}
    comment.disposition, comment.response, comment.duplicate_of = disposition, response, target
    comment.disposition_by = actor if disposition else None
    comment.disposition_at = timezone.now() if disposition else None
    comment.save(update_fields=["disposition", "response", "duplicate_of", "disposition_by", "disposition_at"])
    after = {"disposition": comment.disposition, "response": comment.response, "duplicate_of": comment.duplicate_of_id}
    if before != after:
        audit.record(actor=actor, verb="comment.disposed", target=comment, scope=_scope(round),
                     data={"before": before, "after": after})
        if disposition:
            from . import notifications

            comment.round = round
            notifications.notify_disposition(comment)
    return comment


@transaction.atomic
def comments_dispose_bulk(
    *, actor, round: DraftingRound, comment_ids, disposition: str, response: str = "", duplicate_of=None
) -> int:
    """Give many comments of one round the same disposition and response (facilitators)."""
    _require_facilitator(actor, "answer comments")
    disposition = clean_disposition(disposition)
    response = _clean_response(response)
    try:
        ids = sorted({int(i) for i in (comment_ids or [])})
    except (TypeError, ValueError):
        raise ValidationFailed("comment_ids is a list of comment ids.", field="comment_ids") from None
    if not ids:
        raise ValidationFailed("Select at least one comment.", field="comment_ids")
    if len(ids) > MAX_BULK:
        raise ValidationFailed(f"At most {MAX_BULK:,} comments at once.", field="comment_ids")
    round = DraftingRound.objects.select_related("definition").get(pk=round.pk)
    # Lock the rows in id order so two bulk answers never deadlock.
    found = list(Comment.objects.select_for_update().filter(round=round, pk__in=ids).order_by("pk")
                 .values_list("pk", "withdrawn_at"))
    missing = sorted(set(ids) - {pk for pk, _ in found})
    if missing:
        raise ValidationFailed(
            f"Not in round {round.number}: comment(s) {', '.join(map(str, missing[:10]))}.", field="comment_ids"
        )
    withdrawn = [pk for pk, at in found if at is not None]
    if withdrawn:
        raise ValidationFailed(
            f"Withdrawn comments need no disposition: {', '.join(map(str, withdrawn[:10]))}.", field="comment_ids"
        )
    target = _duplicate_target(round, disposition, duplicate_of, set(ids))
    now = timezone.now()
    Comment.objects.filter(pk__in=ids).update(
        disposition=disposition, response=response, duplicate_of=target,
        disposition_by=actor if disposition else None, disposition_at=now if disposition else None,
    )
    audit.record(actor=actor, verb="comments.disposed_in_bulk", target=round, scope=_scope(round),
                 data={"comment_ids": ids, "disposition": disposition or "pending", "response": response,
                       "duplicate_of": target.pk if target else None})
    if disposition:
        from . import notifications

        notifications.notify_dispositions(ids)
    return len(ids)
