"""Writes for votes: cast or change a position on a clause or on the whole version, and import votes
recorded elsewhere (a meeting, a working group's spreadsheet).

Rules, enforced here so the API, the pages, the CLI and the admin agree: only stakeholders of the
round's eligible groups vote (no eligible groups ticked = every group; a user with no group cannot
vote), only while the round is open; the target is a clause anchor of the round's version or ''
(the whole version); a block needs a rationale of at least 20 characters. A refusal stores nothing.

One current vote per voter and target is the database's unique constraint; every change also
appends a VoteChange row in the same transaction, after the current row is written and locked, so
the newest history row of a voter and target is always the current vote, however many requests
race. Casting the same position and rationale again changes nothing and adds no history.

Imports are for facilitators, on open or closed rounds: meeting votes are often written up after
the round has closed, and the round's report is not made until it is consolidated. Scheduled and
consolidated rounds take no imported votes.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from definitions.models import Clause
from workbench import audit, tabular
from workbench.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from workbench.models import Stakeholder, StakeholderGroup
from workbench.roles import is_facilitator
from workbench.tabular import TabularError

from ..models import WHOLE_VERSION, DraftingRound, Position, RoundState, Vote, VoteChange
from . import bulk
from .comments import _lock_round_shared

BLOCK_RATIONALE_MIN = 20
IMPORT_COLUMNS = ("voter", "group", "anchor", "position", "rationale")
IMPORTABLE_STATES = (RoundState.OPEN, RoundState.CLOSED)
CHUNK = 2000  # rows per INSERT where the ORM writes them
QUERY_CHUNK = 5000  # values per IN (...) when reading


@dataclass
class CastResult:
    vote: Vote
    created: bool
    changed: bool
    previous: str | None  # the position before this cast, None for a first vote


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    stakeholders_created: int = 0
    format: str = "csv"

    def as_dict(self) -> dict:
        return {"rows": self.rows, "created": self.created, "changed": self.changed, "unchanged": self.unchanged,
                "stakeholders_created": self.stakeholders_created, "format": self.format}


# -- checks shared with the pages and the import ---------------------------------------------------

def clean_position(value) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in Position.values:
        raise ValidationFailed(f"Unknown position {value!r}; use one of {', '.join(Position.values)}.", field="position")
    return text


def clean_rationale(position: str, value) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed("The rationale must be text.", field="rationale")
    value = value.strip()
    limit = settings.WORKBENCH_MAX_COMMENT_CHARS
    if len(value) > limit:
        raise ValidationFailed(f"The rationale is {len(value):,} characters long; the limit is {limit:,}.", field="rationale")
    if "\x00" in value:
        raise ValidationFailed("The rationale contains a NUL character.", field="rationale")
    if position == Position.BLOCK and len(value) < BLOCK_RATIONALE_MIN:
        raise ValidationFailed(
            f"A block needs a rationale of at least {BLOCK_RATIONALE_MIN} characters saying what would resolve "
            f"your objection (yours has {len(value)}).",
            field="rationale",
        )
    return value


def clean_anchor(value) -> str:
    if value is None:
        return WHOLE_VERSION
    if not isinstance(value, str):
        raise ValidationFailed("The anchor must be a clause anchor, or null for the whole version.", field="anchor")
    return value.strip()


def voting_problem(stakeholder: Stakeholder | None, round: DraftingRound, *, eligible_ids=None) -> str | None:
    """Why this stakeholder may not vote in the round (as it is now), or None if they may."""
    if stakeholder is None:
        return "Sign in to vote."
    if stakeholder.group_id is None:
        return "Choose your stakeholder group in your profile to vote."
    if eligible_ids is None:
        eligible_ids = set(round.eligible_groups.values_list("pk", flat=True))
    if eligible_ids and stakeholder.group_id not in eligible_ids:
        return f"Round {round.number} is open to other stakeholder groups than {stakeholder.group.name}."
    return state_problem(round)


def state_problem(round: DraftingRound) -> str | None:
    if round.state == RoundState.SCHEDULED:
        return f"Round {round.number} has not opened yet; voting starts {round.opens_at:%d %B %Y at %H:%M} UTC."
    if round.state != RoundState.OPEN:
        return f"Round {round.number} is {round.state}; voting is closed."
    return None


def _stakeholder(actor) -> Stakeholder | None:
    if not getattr(actor, "is_authenticated", False):
        return None
    return Stakeholder.objects.select_related("group").filter(user=actor).first()


# -- casting -------------------------------------------------------------------------------------

def vote_cast(*, actor, round: DraftingRound, anchor: str | None, position: str, rationale: str = "") -> CastResult:
    """Create or replace the caller's current vote on one target (``anchor`` '' or None: the whole version)."""
    stakeholder = _stakeholder(actor)
    if stakeholder is None:
        raise NotAllowed("Sign in to vote.")
    if stakeholder.group_id is None:
        raise NotAllowed("Choose your stakeholder group in your profile to vote.")
    eligible_ids = set(round.eligible_groups.values_list("pk", flat=True))
    if eligible_ids and stakeholder.group_id not in eligible_ids:
        raise NotAllowed(f"Round {round.number} is open to other stakeholder groups than {stakeholder.group.name}.")
    position = clean_position(position)
    rationale = clean_rationale(position, rationale)
    anchor = clean_anchor(anchor)
    with transaction.atomic():
        # FOR SHARE: many votes at once, but a close (FOR UPDATE) waits for them, so none lands after it.
        round.state = _lock_round_shared(round.pk)
        problem = state_problem(round)
        if problem:
            raise Conflict(problem)
        if anchor and not Clause.objects.filter(version_id=round.version_id, anchor=anchor).exists():
            raise ValidationFailed(
                f"Version {round.version.label} has no clause with the anchor {anchor!r}.", field="anchor"
            )
        result = _upsert(round, anchor, stakeholder, position, rationale)
        if result.changed:
            VoteChange.objects.create(
                round=round, anchor=anchor, voter=stakeholder, group_id=stakeholder.group_id, position=position,
                rationale=rationale,
            )
            audit.record(
                actor=actor, verb="vote.cast" if result.created else "vote.changed", target=result.vote,
                scope=round.definition.audit_scope,
                data={"round": round.number, "anchor": anchor, "position": position, "previous": result.previous},
            )
    return result


def _upsert(round, anchor, stakeholder, position, rationale) -> CastResult:
    """The current vote row, locked, then written: a first insert that loses a race to the same
    voter's other request (the unique constraint) retries as an update."""
    for _attempt in range(3):
        vote = Vote.objects.select_for_update().filter(round=round, anchor=anchor, voter=stakeholder).first()
        if vote is not None:
            previous = vote.position
            if vote.position == position and vote.rationale == rationale:
                return CastResult(vote=vote, created=False, changed=False, previous=previous)
            vote.position, vote.rationale, vote.group_id = position, rationale, stakeholder.group_id
            vote.save(update_fields=["position", "rationale", "group", "updated_at"])
            return CastResult(vote=vote, created=False, changed=True, previous=previous)
        try:
            with transaction.atomic():
                vote = Vote.objects.create(
                    round=round, anchor=anchor, voter=stakeholder, group_id=stakeholder.group_id, position=position,
                    rationale=rationale,
                )
        except IntegrityError:
            continue
        return CastResult(vote=vote, created=True, changed=True, previous=None)
    raise Conflict("Your vote on this target changed in another request at the same moment; try again.")


def round_for_vote(round_id) -> DraftingRound:
    round = DraftingRound.objects.select_related("definition", "version").filter(pk=round_id).first()
    if round is None:
        raise NotFound(f"No round {round_id}.")
    return round


# -- import --------------------------------------------------------------------------------------

COLUMNS = tabular.Columns(names=IMPORT_COLUMNS, required=("voter", "position"))
POSITIONS = frozenset(Position.values)
# What is written for a new vote, and for a history row (the same less updated_at), in this order.
VOTE_FIELDS = ("round_id", "anchor", "voter_id", "group_id", "position", "rationale", "created_at", "updated_at")
HISTORY_FIELDS = VOTE_FIELDS[:-1]


@dataclass(slots=True)
class _Row:
    line: int
    voter: str
    key: str  # how the voter is found: "user:<username, case-folded>" or an import key
    group_id: int
    anchor: str
    position: str
    rationale: str
    voter_id: int | None = None


@dataclass
class _Checks:
    """What every row of one import is checked against, read once."""
    round: DraftingRound
    anchors: set[str]
    groups: dict[str, StakeholderGroup]  # by slug and by name, case-folded
    users: dict[str, tuple[str, Stakeholder | None]]  # username, case-folded: (voter key, profile)
    eligible_ids: set[int]


def _normal_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def import_key(name: str) -> str:
    return ("import:" + _normal_name(name))[:200]


def vote_import(*, actor, round: DraftingRound, file_bytes: bytes | str, filename: str = "",
                fmt: str | None = None) -> ImportResult:
    """Import votes (voter, group, anchor, position, rationale) into an open or closed round, from CSV
    with a header row, JSON Lines, or one JSON array of objects (read by workbench.tabular: ``fmt``
    csv, jsonl or json, else from the file name or content; a JSON file starting with ``[`` is an
    array, its rows numbered "Record 1", ...). Every row is checked first; a bad row stops the file
    with its line (or record) and reason and nothing is stored. A voter spelt like a username is that
    user (the group, if given, must be theirs); anyone else becomes an imported stakeholder keyed by
    their name, in the row's group. Importing the same file twice changes nothing; a changed position
    is a change, with history."""
    if actor is not None and not is_facilitator(actor):
        raise NotAllowed("Only facilitators can import votes.")
    limit = settings.WORKBENCH_MAX_IMPORT_BYTES
    if len(file_bytes) > limit:
        raise ValidationFailed(f"The file is {len(file_bytes):,} bytes; the limit is {limit:,}.", field="file")
    round = round_for_vote(round.pk)
    if round.state not in IMPORTABLE_STATES:
        raise Conflict(_not_importable(round))
    kind, reader = tabular.read_file(file_bytes, COLUMNS, filename=filename, fmt=fmt)

    # 1. Read every row, then check each in file order; nothing is stored unless all pass. Whether a
    # voter is a user decides how their row is checked, so the users named in the file (only those)
    # are looked up in between.
    raw_rows = []
    for line, values, unit in reader:
        get = values.get
        raw_rows.append((line, unit, " ".join((get("voter") or "").split()), get("group") or "",
                         get("anchor") or "", get("position") or "", get("rationale") or ""))
    if not raw_rows:
        raise ValidationFailed("The file has no votes to import.", field="file")
    checks = _Checks(
        round=round,
        anchors=set(Clause.objects.filter(version_id=round.version_id).values_list("anchor", flat=True)) | {WHOLE_VERSION},
        groups=_groups_by_name(),
        users=_users_named({raw[2].casefold() for raw in raw_rows} - {""}),
        eligible_ids=set(round.eligible_groups.values_list("pk", flat=True)),
    )
    rows: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    for raw in raw_rows:
        row = _check_row(*raw, checks)
        target = (row.key, row.anchor)
        if target in seen:
            line, unit = raw[0], raw[1]
            where = "the whole version" if not row.anchor else f"{row.anchor!r}"
            raise TabularError(line, f"{row.voter} already votes on {where} on {unit.lower()} {seen[target]}; one "
                                     "vote per voter and target in a file.", unit=unit)
        seen[target] = row.line
        rows.append(row)
    del raw_rows, seen

    # 2. Store, in one transaction.
    result = ImportResult(rows=len(rows), format=kind)
    with transaction.atomic():
        # One import per round at a time, and no vote cast while it runs: a cast takes the round FOR
        # SHARE (vote_cast), so it waits for this lock, and this lock waits for casts under way. The
        # votes read below stay the round's current ones until the commit, and the new ones cannot
        # meet a cast's on the unique constraint one_current_vote_per_voter_and_target.
        locked = DraftingRound.objects.select_for_update().filter(pk=round.pk).values_list("state", flat=True).first()
        if locked not in IMPORTABLE_STATES:  # consolidated (or gone) while the file was being checked
            round.state = locked
            raise Conflict(_not_importable(round))
        result.stakeholders_created = _resolve_voters(rows, checks.users)
        existing = _current_votes(round.pk, {row.voter_id for row in rows})
        now = timezone.now()
        new, changed, history = [], [], []
        for row in rows:
            stored = existing.get((row.voter_id, row.anchor))
            entry = (round.pk, row.anchor, row.voter_id, row.group_id, row.position, row.rationale, now)
            if stored is None:
                new.append(entry + (now,))
            elif stored[1:] != (row.position, row.rationale, row.group_id):
                changed.append((stored[0], row.position, row.rationale, row.group_id))
            else:
                result.unchanged += 1
                continue
            history.append(entry)
        del existing, rows
        # COPY on PostgreSQL (see bulk): new votes, changed ones through one UPDATE, then the history.
        bulk.insert_rows(Vote, VOTE_FIELDS, new)
        bulk.update_rows(Vote, ("position", "rationale", "group_id"), changed, also={"updated_at": now})
        bulk.insert_rows(VoteChange, HISTORY_FIELDS, history)
        result.created, result.changed = len(new), len(changed)
        audit.record(actor=actor, verb="votes.imported", target=round, scope=round.definition.audit_scope,
                     data={**result.as_dict(), "filename": (filename or "")[:200]})
    return result


def _not_importable(round: DraftingRound) -> str:
    return f"Round {round.number} is {round.state}; votes can be imported into open or closed rounds only."


def _groups_by_name() -> dict[str, StakeholderGroup]:
    groups: dict[str, StakeholderGroup] = {}
    for group in StakeholderGroup.objects.all():
        groups[group.slug.casefold()] = group
        groups.setdefault(group.name.casefold(), group)
    return groups


def _users_named(names: set[str]) -> dict[str, tuple[str, Stakeholder | None]]:
    """The users whose usernames (case-folded) are among ``names`` -- only those, however many
    users the site has -- with their voter key and their profile (None if they have none yet)."""
    User = get_user_model()
    name_list = sorted(names)
    found: dict[int, str] = {}
    for start in range(0, len(name_list), QUERY_CHUNK):
        chunk = name_list[start:start + QUERY_CHUNK]
        found.update(User.objects.annotate(lname=Lower("username")).filter(lname__in=chunk).values_list("pk", "username"))
    profiles = {s.user_id: s for s in Stakeholder.objects.filter(user_id__in=list(found)).select_related("group")}
    return {name.casefold(): ("user:" + name.casefold(), profiles.get(pk)) for pk, name in found.items()}


def _check_row(line, unit, voter, group_text, anchor, position, rationale, checks: _Checks) -> _Row:
    """One row as it will be stored, or a TabularError naming its line and what is wrong."""
    def fail(message):
        return TabularError(line, message, unit=unit)

    if not voter:
        raise fail("voter is empty.")
    if len(voter) > 150:
        raise fail("voter is longer than 150 characters.")
    group_text = group_text.strip()
    group = None
    if group_text:
        group = checks.groups.get(group_text.casefold())
        if group is None:
            raise fail(f"unknown stakeholder group {group_text!r}.")
    folded = voter.casefold()
    user = checks.users.get(folded)
    if user is not None:
        key, profile = user
        own = profile.group if profile else None
        if own is None:
            raise fail(f"{voter} is a user with no stakeholder group; they choose one in their profile first.")
        if group is not None and group.pk != own.pk:
            raise fail(f"{voter} is a user in {own.slug}, not {group.slug}.")
        group = own
    else:
        if group is None:
            raise fail(f"{voter} is not a user, so the row needs their stakeholder group.")
        key = import_key(voter)
    round = checks.round
    if checks.eligible_ids and group.pk not in checks.eligible_ids:
        raise fail(f"round {round.number} is not open to {group.slug}.")
    anchor = anchor.strip()
    if anchor not in checks.anchors:
        raise fail(f"version {round.version.label} has no clause with the anchor {anchor!r}.")
    position_text = position.strip().lower()
    if position_text not in POSITIONS:
        raise fail(f"unknown position {position.strip()!r}; use one of {', '.join(Position.values)}.")
    if rationale or position_text == Position.BLOCK:  # an empty rationale is fine but for blocks
        try:
            rationale = clean_rationale(position_text, rationale)
        except ValidationFailed as exc:
            raise fail(exc.message[0].lower() + exc.message[1:]) from None
    return _Row(line=line, voter=voter, key=key, group_id=group.pk, anchor=anchor, position=position_text,
                rationale=rationale)


def _resolve_voters(rows: list[_Row], users: dict[str, tuple[str, Stakeholder | None]]) -> int:
    """Set each row's voter id: users' profiles, then imported stakeholders by key, creating the
    missing ones in bulk. Returns how many stakeholders were created."""
    # A user without a profile never gets here: their rows fail the check (no stakeholder group).
    ids: dict[str, int] = {key: profile.pk for key, profile in users.values() if profile is not None}
    wanted: dict[str, _Row] = {}
    for row in rows:
        if row.key not in ids:
            wanted.setdefault(row.key, row)
    known = _stakeholder_ids(list(wanted))
    missing = [Stakeholder(display_name=row.voter, group_id=row.group_id, import_key=key)
               for key, row in wanted.items() if key not in known]
    # ignore_conflicts: another import creating the same person at once is fine; read the ids back.
    bulk.insert_objects(Stakeholder, missing, ignore_conflicts=True, batch_size=CHUNK)
    if missing:
        known.update(_stakeholder_ids([s.import_key for s in missing]))
    ids.update(known)
    for row in rows:
        row.voter_id = ids[row.key]
    return len(missing)


def _stakeholder_ids(keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), QUERY_CHUNK):
        found.update(Stakeholder.objects.filter(import_key__in=keys[start:start + QUERY_CHUNK])
                     .values_list("import_key", "pk"))
    return found


def _current_votes(round_id: int, voter_ids: set[int]) -> dict[tuple[int, str], tuple[int, str, str, int | None]]:
    """(voter id, anchor) -> (vote id, position, rationale, group id) of these voters' votes in the round."""
    ids = sorted(voter_ids)
    found = {}
    for start in range(0, len(ids), QUERY_CHUNK):
        for pk, voter_id, anchor, position, rationale, group_id in (
            Vote.objects.filter(round_id=round_id, voter_id__in=ids[start:start + QUERY_CHUNK]).order_by()
            .values_list("pk", "voter_id", "anchor", "position", "rationale", "group_id")
        ):
            found[(voter_id, anchor)] = (pk, position, rationale, group_id)
    return found
