"""Writes for drafting rounds: create and update them (with the round rule), open and close them by
hand or on the clock. Each change is check -> execute -> audit; closing a round tells the
consolidation area through the ``round_closed`` signal once the close has committed."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.utils import timezone

from definitions.models import Definition, DefinitionVersion, VersionStatus
from workbench import audit
from workbench.errors import Conflict, NotAllowed, ValidationFailed
from workbench.models import StakeholderGroup
from workbench.roles import is_facilitator

from ..models import DraftingRound, RoundState, Visibility

log = logging.getLogger(__name__)

REMINDER_BEFORE_CLOSE = timedelta(hours=48)
RULE_FIELDS = ("quorum", "threshold", "blocks_prevent_consensus", "require_every_group", "public_votes")
# What may change in each state: the rule is stated before the round opens and then holds.
EDITABLE = {
    RoundState.SCHEDULED: {"title", "description", "opens_at", "closes_at", "eligible_groups", "visibility",
                           "hide_after_reports", *RULE_FIELDS},
    RoundState.OPEN: {"title", "description", "closes_at", "hide_after_reports"},
    RoundState.CLOSED: {"title", "description"},
    RoundState.CONSOLIDATED: {"title", "description"},
}


def _require_facilitator(actor, what: str) -> None:
    # actor None is the system (the clock, management commands, demo data).
    if actor is not None and not is_facilitator(actor):
        raise NotAllowed(f"Only facilitators can {what}.")


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def validate_threshold(raw) -> str:
    """The threshold as stored: a fraction ('2/3') or a decimal ('0.6') in (0, 1], kept exactly as
    given so the rule reads the way the facilitators wrote it."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise ValidationFailed("The threshold is required, e.g. 2/3 or 0.6.", field="threshold")
    if len(text) > 20:
        raise ValidationFailed("The threshold is at most 20 characters, e.g. 2/3 or 0.6.", field="threshold")
    try:
        from consultations.engine.tally import parse_threshold
    except ImportError:  # the votes area's engine; fall back to plain fractions without it
        parse_threshold = None
    try:
        value = Fraction(parse_threshold(text)) if parse_threshold else Fraction(text)
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError) as exc:
        detail = str(exc).strip()
        if parse_threshold and detail:
            raise ValidationFailed(detail, field="threshold") from None
        raise ValidationFailed(
            f"The threshold {text!r} is not a fraction like 2/3 or a decimal like 0.6.", field="threshold"
        ) from None
    if not (0 < value <= 1):
        raise ValidationFailed(f"The threshold must be above 0 and at most 1, not {text}.", field="threshold")
    return text


def _check_window(opens_at: datetime, closes_at: datetime) -> None:
    if opens_at is None or closes_at is None:
        raise ValidationFailed("A round needs both opens_at and closes_at.", field="opens_at" if opens_at is None else "closes_at")
    if timezone.is_naive(opens_at) or timezone.is_naive(closes_at):
        raise ValidationFailed("Give opens_at and closes_at with a time zone (e.g. 2025-03-01T09:00:00Z).", field="opens_at")
    if closes_at <= opens_at:
        raise ValidationFailed("The round must close after it opens.", field="closes_at")


def _check_fields(values: dict) -> dict:
    """Validate the plain fields present in ``values``; returns them normalised."""
    out = dict(values)
    if "title" in out:
        out["title"] = (out["title"] or "").strip()
        if not out["title"]:
            raise ValidationFailed("A round needs a title.", field="title")
        if len(out["title"]) > 200:
            raise ValidationFailed("The title is at most 200 characters.", field="title")
    if "description" in out:
        out["description"] = out["description"] or ""
    if "visibility" in out and out["visibility"] not in Visibility.values:
        raise ValidationFailed(
            f"visibility must be one of {', '.join(Visibility.values)}, not {out['visibility']!r}.", field="visibility"
        )
    if "hide_after_reports" in out:
        value = out["hide_after_reports"]
        if not isinstance(value, int) or isinstance(value, bool) or not (1 <= value <= 1000):
            raise ValidationFailed("hide_after_reports is a whole number from 1 to 1000.", field="hide_after_reports")
    if "quorum" in out:
        value = out["quorum"]
        if not isinstance(value, int) or isinstance(value, bool) or not (1 <= value <= 1_000_000):
            raise ValidationFailed("quorum is a whole number of voters, at least 1.", field="quorum")
    if "threshold" in out:
        out["threshold"] = validate_threshold(out["threshold"])
    for name in ("blocks_prevent_consensus", "require_every_group", "public_votes"):
        if name in out and not isinstance(out[name], bool):
            raise ValidationFailed(f"{name} is true or false.", field=name)
    if "eligible_groups" in out:
        groups = list(out["eligible_groups"] or [])
        if not all(isinstance(g, StakeholderGroup) for g in groups):
            raise ValidationFailed("eligible_groups must be stakeholder groups.", field="eligible_groups")
        out["eligible_groups"] = groups
    return out


def _snapshot(round: DraftingRound) -> dict:
    return {
        "title": round.title,
        "description": round.description,
        "opens_at": round.opens_at.isoformat() if round.opens_at else None,
        "closes_at": round.closes_at.isoformat() if round.closes_at else None,
        "visibility": round.visibility,
        "hide_after_reports": round.hide_after_reports,
        "quorum": round.quorum,
        "threshold": round.threshold,
        "blocks_prevent_consensus": round.blocks_prevent_consensus,
        "require_every_group": round.require_every_group,
        "public_votes": round.public_votes,
    }


@transaction.atomic
def round_create(
    *,
    actor,
    definition: Definition,
    version: DefinitionVersion,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    description: str = "",
    eligible_groups=(),
    visibility: str = Visibility.PUBLIC,
    hide_after_reports: int = 3,
    quorum: int = 1,
    threshold: str = "2/3",
    blocks_prevent_consensus: bool = True,
    require_every_group: bool = False,
    public_votes: bool = False,
) -> DraftingRound:
    """Schedule a round on a published version. It opens at ``opens_at`` (or by hand)."""
    _require_facilitator(actor, "create rounds")
    if version.definition_id != definition.pk:
        raise ValidationFailed(f"Version {version.label} belongs to another definition.", field="version")
    if version.status != VersionStatus.PUBLISHED:
        raise ValidationFailed(
            f"Version {version.label} is {version.status}; only a published version can be consulted on.", field="version"
        )
    values = _check_fields(
        {
            "title": title, "description": description, "visibility": visibility,
            "hide_after_reports": hide_after_reports, "quorum": quorum, "threshold": threshold,
            "blocks_prevent_consensus": blocks_prevent_consensus, "require_every_group": require_every_group,
            "public_votes": public_votes, "eligible_groups": eligible_groups,
        }
    )
    _check_window(opens_at, closes_at)
    groups = values.pop("eligible_groups")
    # Lock the definition: two creations at once must not take the same round number.
    Definition.objects.select_for_update().filter(pk=definition.pk).first()
    last = DraftingRound.objects.filter(definition=definition).order_by("-number").values_list("number", flat=True).first()
    round = DraftingRound.objects.create(
        definition=definition, version=version, number=(last or 0) + 1, opens_at=opens_at, closes_at=closes_at,
        created_by=_user(actor), **values,
    )
    if groups:
        round.eligible_groups.set(groups)
    audit.record(
        actor=actor, verb="round.created", target=round, scope=definition.audit_scope,
        data={**_snapshot(round), "version": version.label, "eligible_groups": sorted(g.slug for g in groups)},
    )
    return round


@transaction.atomic
def round_update(*, actor, round: DraftingRound, **changes) -> DraftingRound:
    """Change a round. Before it opens everything may change; once open only the title, the
    description, the closing time and the report limit; after it closes, the title and description."""
    _require_facilitator(actor, "change rounds")
    round = DraftingRound.objects.select_for_update().select_related("definition").get(pk=round.pk)
    allowed = EDITABLE[RoundState(round.state)]
    known = EDITABLE[RoundState.SCHEDULED]
    unknown = set(changes) - known
    if unknown:
        raise ValidationFailed(f"Unknown round field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    refused = set(changes) - allowed
    if refused:
        what = "the round rule" if refused & set(RULE_FIELDS) else ", ".join(sorted(refused))
        raise Conflict(
            f"Round {round.number} is {round.state}; {what} can no longer change "
            f"(only {', '.join(sorted(allowed))} can).",
            field=sorted(refused)[0],
        )
    values = _check_fields(changes)
    before = _snapshot(round)
    before_groups = sorted(round.eligible_groups.values_list("slug", flat=True))
    groups = values.pop("eligible_groups", None)
    for name, value in values.items():
        setattr(round, name, value)
    _check_window(round.opens_at, round.closes_at)
    if round.state == RoundState.OPEN and "closes_at" in values and round.closes_at <= timezone.now():
        raise ValidationFailed("An open round's new closing time must be in the future; close it instead.", field="closes_at")
    if "closes_at" in values and before["closes_at"] != round.closes_at.isoformat():
        # A new closing time deserves a new 48-hour reminder.
        round.closing_reminder_sent_at = None
    round.save()
    after = _snapshot(round)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if groups is not None:
        round.eligible_groups.set(groups)
        after_groups = sorted(g.slug for g in groups)
        if after_groups != before_groups:
            changed["eligible_groups"] = [before_groups, after_groups]
    if changed:
        audit.record(actor=actor, verb="round.updated", target=round, scope=round.definition.audit_scope,
                     data={"changes": changed})
    return round


def round_open(*, actor, round: DraftingRound, now: datetime | None = None, notify: bool = True) -> DraftingRound:
    """Open a scheduled round now. Another open round of the same definition is a 409.
    ``notify=False`` records a round without e-mailing anyone (e.g. demo data of past rounds)."""
    _require_facilitator(actor, "open rounds")
    return _open(round.pk, actor=actor, now=now or timezone.now(), by_hand=True, notify=notify)


def round_close(*, actor, round: DraftingRound, now: datetime | None = None, notify: bool = True) -> DraftingRound:
    """Close an open round now: comments and votes stop, and consolidation may begin."""
    _require_facilitator(actor, "close rounds")
    return _close(round.pk, actor=actor, now=now or timezone.now(), by_hand=True, notify=notify)


def _open(round_id: int, *, actor, now: datetime, by_hand: bool, notify: bool = True) -> DraftingRound:
    with transaction.atomic():
        round = DraftingRound.objects.select_for_update().select_related("definition", "version").get(pk=round_id)
        if round.state != RoundState.SCHEDULED:
            raise Conflict(f"Round {round.number} is {round.state}; only a scheduled round can open.")
        if round.closes_at <= now:
            raise Conflict(
                f"Round {round.number} was due to close at {round.closes_at:%Y-%m-%d %H:%M} UTC; "
                "set a later closing time before opening it.",
                field="closes_at",
            )
        other = _other_open_round(round)
        if other is not None:
            raise Conflict(
                f"Round {other.number} ({other.title}) of {round.definition.slug} is still open; "
                "close it before opening another."
            )
        round.state = RoundState.OPEN
        round.opened_at = now
        try:
            with transaction.atomic():
                round.save(update_fields=["state", "opened_at"])
        except IntegrityError:
            # The database's one-open-round constraint: another round opened in the meantime.
            raise Conflict(
                f"Another round of {round.definition.slug} opened at the same moment; close it before opening this one."
            ) from None
        audit.record(
            actor=actor, verb="round.opened", target=round, scope=round.definition.audit_scope,
            data={"by": "hand" if by_hand else "schedule", "at": now.isoformat()},
        )
        if notify:
            from . import notifications

            notifications.notify_round(round, kind=notifications.ROUND_OPENED)
    return round


def _other_open_round(round: DraftingRound) -> DraftingRound | None:
    return (
        DraftingRound.objects.filter(definition_id=round.definition_id, state=RoundState.OPEN)
        .exclude(pk=round.pk)
        .first()
    )


def _close(round_id: int, *, actor, now: datetime, by_hand: bool, notify: bool = True) -> DraftingRound:
    with transaction.atomic():
        round = DraftingRound.objects.select_for_update().select_related("definition", "version").get(pk=round_id)
        if round.state != RoundState.OPEN:
            raise Conflict(f"Round {round.number} is {round.state}; only an open round can close.")
        round.state = RoundState.CLOSED
        round.closed_at = now
        round.save(update_fields=["state", "closed_at"])
        audit.record(
            actor=actor, verb="round.closed", target=round, scope=round.definition.audit_scope,
            data={"by": "hand" if by_hand else "schedule", "at": now.isoformat()},
        )
        if notify:
            from . import notifications

            notifications.notify_round(round, kind=notifications.ROUND_CLOSED)
        round_id = round.pk
        transaction.on_commit(lambda: _announce_closed(round_id))
    return round


def _announce_closed(round_id: int) -> None:
    from consultations.signals import round_closed

    # A listener's failure (e.g. the broker being down) must not undo or hide the close itself.
    for receiver, result in round_closed.send_robust(sender=DraftingRound, round_id=round_id):
        if isinstance(result, Exception):
            log.error("round_closed listener %r failed for round %s: %s", receiver, round_id, result)


def rounds_advance(*, now: datetime | None = None) -> dict:
    """What the clock does, idempotently: close open rounds that are due, open scheduled rounds that
    are due, and send the 48-hour closing reminder once. Safe to run from several places at once:
    every change is a locked, state-checked transition, so a second run finds nothing to do."""
    now = now or timezone.now()
    summary = {"closed": [], "opened": [], "reminded": [], "blocked": []}
    # Close first, so a round that closes as the next one opens frees the definition's open slot.
    for round_id in DraftingRound.objects.filter(state=RoundState.OPEN, closes_at__lte=now).values_list("pk", flat=True):
        try:
            _close(round_id, actor=None, now=now, by_hand=False)
            summary["closed"].append(round_id)
        except Conflict:
            pass  # closed by someone else between the query and the lock
    due = DraftingRound.objects.filter(state=RoundState.SCHEDULED, opens_at__lte=now, closes_at__gt=now).order_by("opens_at", "pk")
    for round_id in due.values_list("pk", flat=True):
        try:
            _open(round_id, actor=None, now=now, by_hand=False)
            summary["opened"].append(round_id)
        except Conflict as exc:
            # Usually another round of the definition is still open: it stays scheduled until a
            # facilitator closes the other one, and the next run tries again.
            summary["blocked"].append(round_id)
            log.warning("round %s is due to open but cannot: %s", round_id, exc.message)
    reminder_due = DraftingRound.objects.filter(
        state=RoundState.OPEN, closes_at__gt=now, closes_at__lte=now + REMINDER_BEFORE_CLOSE,
        closing_reminder_sent_at__isnull=True,
    )
    for round_id in reminder_due.values_list("pk", flat=True):
        with transaction.atomic():
            # Claim the reminder with a conditional UPDATE: only one runner sends it.
            claimed = DraftingRound.objects.filter(
                pk=round_id, state=RoundState.OPEN, closing_reminder_sent_at__isnull=True
            ).update(closing_reminder_sent_at=now)
            if not claimed:
                continue
            round = DraftingRound.objects.select_related("definition").get(pk=round_id)
            from . import notifications

            count = notifications.notify_round(round, kind=notifications.ROUND_CLOSING)
            audit.record(actor=None, verb="round.closing_reminder_sent", target=round,
                         scope=round.definition.audit_scope, data={"recipients": count})
            summary["reminded"].append(round_id)
    from . import notifications

    summary["notifications_requeued"] = notifications.requeue_unsent(now=now)
    return summary
