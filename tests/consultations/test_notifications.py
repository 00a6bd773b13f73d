"""Notifications: rows written in the transaction that made the event, e-mails sent by a task after
it commits, only to stakeholders who opted in and have an address, and never twice."""
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from consultations.models import DraftingRound, Notification, RoundState
from consultations.services import comments, notifications, rounds
from tests.conftest import _user
from workbench.models import Stakeholder

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round

pytestmark = pytest.mark.django_db


def opt_in(user, email=None):
    user.email = email or f"{user.username}@example.org"
    user.save(update_fields=["email"])
    Stakeholder.objects.filter(user=user).update(notify_by_email=True)


@pytest.fixture
def listeners(stakeholder, other_stakeholder, outsider, groups):
    opt_in(stakeholder)
    opt_in(other_stakeholder)
    no_address = _user("nora", groups["developers"])
    Stakeholder.objects.filter(user=no_address).update(notify_by_email=True)  # opted in, but no e-mail address
    _user("quiet", groups["developers"]).__class__.objects.filter(username="quiet").update(email="quiet@example.org")
    return {"alice": stakeholder, "bob": other_stakeholder}


def test_round_opened_mails_eligible_stakeholders_who_opted_in(facilitator, listeners, v1, groups,
                                                                django_capture_on_commit_callbacks):
    round = make_round(facilitator, v1, state=RoundState.SCHEDULED, eligible_groups=[groups["developers"]])
    with django_capture_on_commit_callbacks(execute=True):
        rounds.round_open(actor=facilitator, round=round)
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]  # bob is not eligible; nora and quiet are out
    message = mail.outbox[0]
    assert "Open for comment" in message.subject and f"/rounds/{round.pk}/" in message.body
    assert Notification.objects.get().sent_at is not None


def test_nothing_is_sent_before_the_commit(facilitator, listeners, v1, django_capture_on_commit_callbacks):
    round = make_round(facilitator, v1, state=RoundState.SCHEDULED)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rounds.round_open(actor=facilitator, round=round)
    assert Notification.objects.count() == 2 and mail.outbox == []
    assert len(callbacks) == 1


def test_closing_and_reminder_each_mail_once(facilitator, listeners, v1, django_capture_on_commit_callbacks):
    round = make_round(facilitator, v1, closes_at=timezone.now() + timedelta(hours=20))
    with django_capture_on_commit_callbacks(execute=True):
        rounds.rounds_advance()
        rounds.rounds_advance()
    assert sorted(m.subject.split(":")[0] for m in mail.outbox) == ["Closes soon", "Closes soon"]
    mail.outbox.clear()
    DraftingRound.objects.filter(pk=round.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        rounds.rounds_advance()
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "bob@example.org"]
    assert all(m.subject.startswith("Closed:") for m in mail.outbox)


def test_reply_notifies_the_parent_author_but_not_self_replies(listeners, stakeholder, other_stakeholder, open_round,
                                                             django_capture_on_commit_callbacks):
    mail.outbox.clear()
    parent = comments.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="Question?")
    with django_capture_on_commit_callbacks(execute=True):
        comments.comment_create(actor=stakeholder, round=open_round, parent=parent, body="Adding to my own.")
        reply = comments.comment_create(actor=other_stakeholder, round=open_round, parent=parent, body="An answer.")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"] and "Bob replied" in message.subject
    assert f"#c{reply.pk}" in message.body and "An answer." in message.body


def test_disposition_notifies_once_per_answer(facilitator, listeners, stakeholder, open_round,
                                              django_capture_on_commit_callbacks):
    comment = comments.comment_create(actor=stakeholder, round=open_round, anchor="purpose", body="Please change.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        comments.comment_dispose(actor=facilitator, comment=comment, disposition="accepted", response="Done.")
        comments.comment_dispose(actor=facilitator, comment=comment, disposition="accepted", response="Done!")
    assert len(mail.outbox) == 1 and "accepted" in mail.outbox[0].subject and "Done." in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        comments.comments_dispose_bulk(actor=facilitator, round=open_round, comment_ids=[comment.pk],
                                       disposition="rejected", response="On reflection, no.")
    assert len(mail.outbox) == 2 and "rejected" in mail.outbox[1].subject


def test_sending_is_claimed_so_a_notification_goes_out_once(listeners, stakeholder):
    recipient = Stakeholder.objects.get(user=stakeholder)
    row = Notification.objects.create(recipient=recipient, kind="reply", key="comment:1", subject="Hi", body="Body")
    assert notifications.notification_send(notification_id=row.pk) is True
    assert notifications.notification_send(notification_id=row.pk) is False
    assert len(mail.outbox) == 1


def test_a_refused_mail_is_released_for_a_retry(listeners, stakeholder, monkeypatch):
    recipient = Stakeholder.objects.get(user=stakeholder)
    row = Notification.objects.create(recipient=recipient, kind="reply", key="comment:2", subject="Hi", body="Body")

    def refuse(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(notifications, "send_mail", refuse)
    with pytest.raises(OSError):
        notifications.notification_send(notification_id=row.pk)
    row.refresh_from_db()
    assert row.sent_at is None


def test_unsent_notifications_are_queued_again(listeners, stakeholder):
    recipient = Stakeholder.objects.get(user=stakeholder)
    row = Notification.objects.create(recipient=recipient, kind="reply", key="comment:3", subject="Late", body="Body")
    Notification.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    assert notifications.requeue_unsent() == 1  # eager tasks: sent at once
    row.refresh_from_db()
    assert row.sent_at is not None and mail.outbox[-1].subject == "Late"
