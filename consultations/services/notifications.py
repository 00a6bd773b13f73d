"""Notifications: one Notification row per recipient and event (its unique key makes a second send
of the same event a no-op), then one Celery task per row, enqueued once the transaction commits,
sends the e-mail. Only stakeholders who opted in and have an e-mail address are written to."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from workbench.models import Stakeholder

from ..models import Comment, DraftingRound, Notification

log = logging.getLogger(__name__)

ROUND_OPENED = "round-opened"
ROUND_CLOSING = "round-closing"
ROUND_CLOSED = "round-closed"
REPLY = "reply"
DISPOSITION = "disposition"
KINDS = (ROUND_OPENED, ROUND_CLOSING, ROUND_CLOSED, REPLY, DISPOSITION)

REQUEUE_AFTER = timedelta(minutes=10)
REQUEUE_WITHIN = timedelta(days=2)


def _reachable():
    """Stakeholders we may e-mail: opted in, with an active login and an address."""
    return (
        Stakeholder.objects.filter(notify_by_email=True, user__isnull=False, user__is_active=True)
        .exclude(user__email="")
    )


def _url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _round_url(round: DraftingRound) -> str:
    return _url(reverse("consultations:round", args=[round.pk]))


def _round_message(round: DraftingRound, kind: str) -> tuple[str, str]:
    name = f"{round.definition.title} round {round.number} ({round.title})"
    closes = f"{round.closes_at:%A %d %B %Y, %H:%M} UTC"
    if kind == ROUND_OPENED:
        return (f"Open for comment: {name}",
                f"{name} is open for comments and votes on version {round.version.label} until {closes}.\n\n"
                f"Read the draft and take part: {_round_url(round)}\n")
    if kind == ROUND_CLOSING:
        return (f"Closes soon: {name}",
                f"{name} closes on {closes}. There is still time to comment and vote.\n\n{_round_url(round)}\n")
    return (f"Closed: {name}",
            f"{name} has closed. Facilitators will now answer every comment; the dispositions and the "
            f"round's report will appear on the round page.\n\n{_round_url(round)}\n")


def notify_round(round: DraftingRound, *, kind: str) -> int:
    """Notify the round's eligible stakeholders that it opened, closes within 48 hours, or closed.
    Call inside the transaction that made the change; sending starts after it commits."""
    if kind not in (ROUND_OPENED, ROUND_CLOSING, ROUND_CLOSED):
        raise ValueError(f"not a round notification: {kind}")
    recipients = _reachable()
    group_ids = list(round.eligible_groups.values_list("pk", flat=True))
    if group_ids:
        recipients = recipients.filter(group_id__in=group_ids)
    recipient_ids = list(recipients.values_list("pk", flat=True))
    if not recipient_ids:
        return 0
    subject, body = _round_message(round, kind)
    key = f"round:{round.pk}"
    rows = [Notification(recipient_id=pk, kind=kind, key=key, subject=subject[:200], body=body) for pk in recipient_ids]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    ids = list(Notification.objects.filter(kind=kind, key=key, sent_at__isnull=True).values_list("pk", flat=True))
    _enqueue_on_commit(ids)
    return len(rows)


def notify_reply(reply: Comment) -> bool:
    """Tell the parent comment's author about a reply (not when they replied to themselves)."""
    parent = reply.parent
    if parent is None or parent.author_id == reply.author_id:
        return False
    if not _reachable().filter(pk=parent.author_id).exists():
        return False
    subject = f"{reply.author.display_name} replied to your comment"
    body = (
        f"{reply.author.display_name} replied to your comment on "
        f"{'clause ' + parent.anchor if parent.anchor else 'the whole version'} "
        f"in {reply.round.definition.title} round {reply.round.number}:\n\n{_excerpt(reply.body)}\n\n"
        f"{_thread_url(reply)}\n"
    )
    return _create_one(parent.author_id, REPLY, f"comment:{reply.pk}", subject, body)


def notify_disposition(comment: Comment) -> bool:
    """Tell a comment's author how the facilitators handled it."""
    if not comment.disposition or not _reachable().filter(pk=comment.author_id).exists():
        return False
    subject, body, key = _disposition_message(comment)
    return _create_one(comment.author_id, DISPOSITION, key, subject, body)


def notify_dispositions(comment_ids) -> int:
    """The same for many comments at once (bulk dispositions), in a constant number of queries."""
    comments = list(
        Comment.objects.filter(pk__in=list(comment_ids), author__in=_reachable())
        .exclude(disposition="")
        .select_related("author", "round__definition")
    )
    rows, keys = [], []
    for comment in comments:
        subject, body, key = _disposition_message(comment)
        rows.append(Notification(recipient_id=comment.author_id, kind=DISPOSITION, key=key, subject=subject, body=body))
        keys.append(key)
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    ids = list(Notification.objects.filter(kind=DISPOSITION, key__in=keys, sent_at__isnull=True).values_list("pk", flat=True))
    _enqueue_on_commit(ids)
    return len(ids)


def _disposition_message(comment: Comment) -> tuple[str, str, str]:
    label = comment.get_disposition_display().lower()
    subject = f"Your comment was {label}" if comment.disposition != "deferred" else "Your comment was deferred"
    body = (
        f"The facilitators of {comment.round.definition.title} round {comment.round.number} marked your comment on "
        f"{'clause ' + comment.anchor if comment.anchor else 'the whole version'} as {label}.\n\n"
        f"Your comment:\n{_excerpt(comment.body)}\n\n"
        + (f"Their response:\n{comment.response}\n\n" if comment.response else "")
        + f"{_thread_url(comment)}\n"
    )
    # One e-mail per comment and disposition: re-saving the same answer sends nothing new.
    return subject[:200], body, f"comment:{comment.pk}:{comment.disposition}"


def _excerpt(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _thread_url(comment: Comment) -> str:
    if comment.anchor:
        path = reverse("consultations:thread", args=[comment.round_id, comment.anchor])
    else:
        path = reverse("consultations:thread-whole", args=[comment.round_id])
    return _url(f"{path}#c{comment.pk}")


def _create_one(recipient_id: int, kind: str, key: str, subject: str, body: str) -> bool:
    notification, created = Notification.objects.get_or_create(
        recipient_id=recipient_id, kind=kind, key=key[:120], defaults={"subject": subject[:200], "body": body}
    )
    if created:
        _enqueue_on_commit([notification.pk])
    return created


def _enqueue_on_commit(ids: list[int]) -> None:
    if ids:
        transaction.on_commit(lambda: enqueue(ids))


def enqueue(ids) -> int:
    """Queue a send task per notification. A broker that is down is logged, not raised: the rows
    stay unsent and the clock (``requeue_unsent``) queues them again later."""
    from consultations.tasks.rounds import send_notification

    queued = 0
    for pk in ids:
        try:
            send_notification.delay(pk)
            queued += 1
        except Exception as exc:  # broker unreachable: the row waits for requeue_unsent
            log.warning("could not queue notification %s: %s", pk, exc)
            break
    return queued


def requeue_unsent(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue again the notifications that were never sent (e.g. the broker was down)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            sent_at__isnull=True, created_at__lt=now - REQUEUE_AFTER, created_at__gt=now - REQUEUE_WITHIN
        ).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    return enqueue(ids) if ids else 0


def notification_send(*, notification_id: int) -> bool:
    """Send one notification's e-mail, at most once: the row is claimed with a conditional UPDATE
    before sending, and released again if the mail server refuses it so a retry can send it."""
    claimed = Notification.objects.filter(pk=notification_id, sent_at__isnull=True).update(sent_at=timezone.now())
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient__user").get(pk=notification_id)
    recipient = notification.recipient
    address = recipient.user.email if recipient.user_id else ""
    if not address or not recipient.notify_by_email:
        # They opted out (or removed their address) after the event: nothing to send, nothing to retry.
        return False
    try:
        send_mail(notification.subject, notification.body, None, [address], fail_silently=False)
    except Exception:
        Notification.objects.filter(pk=notification_id).update(sent_at=None)
        raise
    return True
