"""Round services: creating rounds with their rule, opening and closing by hand and on the clock."""
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from consultations.models import DraftingRound, RoundState
from consultations.services import rounds as services
from consultations.signals import round_closed
from definitions.models import VersionStatus
from workbench.errors import Conflict, NotAllowed, ValidationFailed
from workbench.models import AuditEvent

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import V1, make_definition, make_round, make_version

pytestmark = pytest.mark.django_db


def _window(days_from_now=1, length=7):
    start = timezone.now() + timedelta(days=days_from_now)
    return {"opens_at": start, "closes_at": start + timedelta(days=length)}


def test_rounds_are_numbered_per_definition_and_audited(facilitator, v1, definition):
    first = services.round_create(actor=facilitator, definition=definition, version=v1, title="One", **_window())
    second = services.round_create(actor=facilitator, definition=definition, version=v1, title="Two", **_window(10))
    other_def = make_definition(slug="other", title="Other")
    other = services.round_create(actor=facilitator, definition=other_def, version=make_version(other_def, "1", V1),
                                  title="Elsewhere", **_window())
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert first.state == RoundState.SCHEDULED
    event = AuditEvent.objects.get(verb="round.created", target_id=str(first.pk))
    assert event.scope == "definition:sample" and event.actor == facilitator
    assert event.data["threshold"] == "2/3" and event.data["version"] == "0.1"


def test_rule_fields_and_groups_are_stored_exactly(facilitator, v1, definition, groups):
    round = services.round_create(
        actor=facilitator, definition=definition, version=v1, title="Rule", quorum=5, threshold="0.6",
        blocks_prevent_consensus=False, require_every_group=True, public_votes=True, hide_after_reports=2,
        eligible_groups=[groups["developers"], groups["industry"]], visibility="members", **_window(),
    )
    round.refresh_from_db()
    assert (round.quorum, round.threshold, round.blocks_prevent_consensus, round.require_every_group,
            round.public_votes, round.hide_after_reports, round.visibility) == (5, "0.6", False, True, True, 2, "members")
    assert set(round.eligible_groups.values_list("slug", flat=True)) == {"developers", "industry"}


@pytest.mark.parametrize("threshold", ["abc", "0", "3/2", "1/0", "-1/2", "", "1.5"])
def test_bad_thresholds_are_refused_with_a_message(facilitator, v1, definition, threshold):
    with pytest.raises(ValidationFailed) as exc:
        services.round_create(actor=facilitator, definition=definition, version=v1, title="T", threshold=threshold, **_window())
    assert exc.value.field == "threshold" and exc.value.message
    assert not DraftingRound.objects.exists()


@pytest.mark.parametrize("threshold", ["2/3", "0.6", "1", "1/2"])
def test_good_thresholds_are_kept_as_written(facilitator, v1, definition, threshold):
    round = services.round_create(actor=facilitator, definition=definition, version=v1, title="T", threshold=threshold, **_window())
    assert round.threshold == threshold


def test_round_needs_a_published_version_of_its_definition(facilitator, definition, v1):
    draft = make_version(definition, "0.2-draft", V1, previous=v1, status=VersionStatus.DRAFT)
    with pytest.raises(ValidationFailed, match="only a published version"):
        services.round_create(actor=facilitator, definition=definition, version=draft, title="T", **_window())
    other_def = make_definition(slug="other", title="Other")
    with pytest.raises(ValidationFailed, match="another definition"):
        services.round_create(actor=facilitator, definition=other_def, version=v1, title="T", **_window())


def test_round_must_close_after_it_opens(facilitator, definition, v1):
    start = timezone.now()
    with pytest.raises(ValidationFailed, match="close after it opens"):
        services.round_create(actor=facilitator, definition=definition, version=v1, title="T", opens_at=start, closes_at=start)


def test_only_facilitators_create_rounds(stakeholder, definition, v1):
    with pytest.raises(NotAllowed):
        services.round_create(actor=stakeholder, definition=definition, version=v1, title="T", **_window())


def test_rule_can_change_before_opening_but_not_after(facilitator, v1):
    round = make_round(facilitator, v1, state=RoundState.SCHEDULED)
    services.round_update(actor=facilitator, round=round, threshold="3/4", quorum=2)
    round.refresh_from_db()
    assert (round.threshold, round.quorum) == ("3/4", 2)
    assert AuditEvent.objects.filter(verb="round.updated", data__changes__threshold=["2/3", "3/4"]).exists()
    services.round_open(actor=facilitator, round=round)
    with pytest.raises(Conflict, match="round rule"):
        services.round_update(actor=facilitator, round=round, threshold="1/2")
    round.refresh_from_db()
    assert round.threshold == "3/4"


def test_extending_an_open_round_resets_the_reminder(facilitator, v1):
    round = make_round(facilitator, v1)
    DraftingRound.objects.filter(pk=round.pk).update(closing_reminder_sent_at=timezone.now())
    services.round_update(actor=facilitator, round=round, closes_at=round.closes_at + timedelta(days=3))
    round.refresh_from_db()
    assert round.closing_reminder_sent_at is None


def test_opening_while_another_round_is_open_is_a_conflict(facilitator, v1):
    first = make_round(facilitator, v1)
    second = make_round(facilitator, v1, state=RoundState.SCHEDULED)
    with pytest.raises(Conflict) as exc:
        services.round_open(actor=facilitator, round=second)
    assert f"Round {first.number}" in exc.value.message and "still open" in exc.value.message
    second.refresh_from_db()
    assert second.state == RoundState.SCHEDULED


def test_open_and_close_by_hand_are_audited(facilitator, v1):
    round = make_round(facilitator, v1, state=RoundState.SCHEDULED)
    services.round_open(actor=facilitator, round=round)
    services.round_close(actor=facilitator, round=round)
    round.refresh_from_db()
    assert round.state == RoundState.CLOSED and round.opened_at and round.closed_at
    verbs = list(AuditEvent.objects.filter(target_id=str(round.pk), target_type="consultations.draftinground")
                 .order_by("id").values_list("verb", "data__by"))
    assert verbs[-2:] == [("round.opened", "hand"), ("round.closed", "hand")]
    with pytest.raises(Conflict, match="only an open round can close"):
        services.round_close(actor=facilitator, round=round)
    with pytest.raises(Conflict, match="only a scheduled round can open"):
        services.round_open(actor=facilitator, round=round)


def test_closing_sends_round_closed_after_commit(facilitator, v1, django_capture_on_commit_callbacks):
    received = []

    def listener(sender, round_id, **kwargs):
        received.append(round_id)

    round = make_round(facilitator, v1)
    round_closed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.round_close(actor=facilitator, round=round)
            assert received == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        round_closed.disconnect(listener)
    assert received == [round.pk]


def test_a_failing_listener_does_not_undo_the_close(facilitator, v1, django_capture_on_commit_callbacks):
    def broken(sender, round_id, **kwargs):
        raise RuntimeError("broker down")

    round = make_round(facilitator, v1)
    round_closed.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.round_close(actor=facilitator, round=round)
    finally:
        round_closed.disconnect(broken)
    round.refresh_from_db()
    # Closed (other listeners, such as consolidation, may already have moved it on to consolidated).
    assert round.state in (RoundState.CLOSED, RoundState.CONSOLIDATED) and round.closed_at is not None


def test_advance_opens_and_closes_due_rounds_once(facilitator, definition, v1):
    now = timezone.now()
    due_to_close = make_round(facilitator, v1)
    DraftingRound.objects.filter(pk=due_to_close.pk).update(closes_at=now - timedelta(minutes=1))
    due_to_open = services.round_create(actor=facilitator, definition=definition, version=v1, title="Next",
                                        opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=5))
    later = make_round(facilitator, v1, state=RoundState.SCHEDULED)
    first = services.rounds_advance(now=now)
    assert first["closed"] == [due_to_close.pk] and first["opened"] == [due_to_open.pk]
    events = AuditEvent.objects.count()
    second = services.rounds_advance(now=now)
    assert not second["closed"] and not second["opened"] and not second["reminded"]
    assert AuditEvent.objects.count() == events
    states = dict(DraftingRound.objects.values_list("pk", "state"))
    assert states == {due_to_close.pk: "closed", due_to_open.pk: "open", later.pk: "scheduled"}
    assert AuditEvent.objects.get(verb="round.opened", target_id=str(due_to_open.pk)).data["by"] == "schedule"


def test_a_due_round_waits_while_another_is_open(facilitator, definition, v1):
    now = timezone.now()
    open_one = make_round(facilitator, v1)
    waiting = services.round_create(actor=facilitator, definition=definition, version=v1, title="Waiting",
                                    opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(days=5))
    summary = services.rounds_advance(now=now)
    assert summary["blocked"] == [waiting.pk]
    services.round_close(actor=facilitator, round=open_one)
    assert services.rounds_advance(now=now)["opened"] == [waiting.pk]


def test_closing_reminder_is_sent_once(facilitator, v1):
    round = make_round(facilitator, v1, closes_at=timezone.now() + timedelta(hours=30))
    now = timezone.now()
    assert services.rounds_advance(now=now)["reminded"] == [round.pk]
    assert services.rounds_advance(now=now + timedelta(minutes=1))["reminded"] == []
    assert AuditEvent.objects.filter(verb="round.closing_reminder_sent").count() == 1


def test_management_command_advances_rounds(facilitator, v1, capsys):
    round = make_round(facilitator, v1)
    DraftingRound.objects.filter(pk=round.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    call_command("advance_rounds")
    out = capsys.readouterr().out
    assert "closed: 1" in out and "opened: 0" in out
    round.refresh_from_db()
    assert round.state == RoundState.CLOSED


def test_celery_task_runs_the_same_service(facilitator, v1):
    from consultations.tasks import advance_rounds

    round = make_round(facilitator, v1)
    DraftingRound.objects.filter(pk=round.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    result = advance_rounds.apply().get()
    assert result["closed"] == [round.pk]
