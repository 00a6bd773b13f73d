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
from workbench import services as people
from workbench.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from workbench.models import Stakeholder, StakeholderGroup
from workbench.roles import is_facilitator
from workbench.tabular import TabularError

from ..models import WHOLE_VERSION, DraftingRound, Position, RoundState, Vote, VoteChange
from .comments import _lock_round_shared

BLOCK_RATIONALE_MIN = 20
IMPORT_COLUMNS = ("voter", "group", "anchor", "position", "rationale")
IMPORTABLE_STATES = (RoundState.OPEN, RoundState.CLOSED)
CHUNK = 2000


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


@dataclass
class _Row:
    line: int
    voter: str
    key: str  # how the voter is found: "user:<username, case-folded>" or an import key
    group_id: int | None
    anchor: str
    position: str
    rationale: str
    voter_id: int | None = None


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
        raise Conflict(f"Round {round.number} is {round.state}; votes can be imported into open or closed rounds only.")
    kind, reader = tabular.read_file(file_bytes, COLUMNS, filename=filename, fmt=fmt)

    anchors = set(Clause.objects.filter(version_id=round.version_id).values_list("anchor", flat=True)) | {WHOLE_VERSION}
    groups: dict[str, StakeholderGroup] = {}
    for group in StakeholderGroup.objects.all():
        groups[group.slug.casefold()] = group
        groups.setdefault(group.name.casefold(), group)
    eligible_ids = set(round.eligible_groups.values_list("pk", flat=True))
    users = {}

    # 1. Read and check every row; nothing is stored unless all pass.
    raw_rows = list(reader)
    if not raw_rows:
        raise ValidationFailed("The file has no votes to import.", field="file")
    names = {" ".join((raw.get("voter") or "").split()).casefold() for _, raw, _ in raw_rows} - {""}
    User = get_user_model()
    name_list = sorted(names)
    for start in range(0, len(name_list), CHUNK):
        for user in User.objects.annotate(lname=Lower("username")).filter(lname__in=name_list[start:start + CHUNK]):
            users[user.username.casefold()] = user
    profiles = {s.user_id: s for s in Stakeholder.objects.filter(user__in=list(users.values())).select_related("group")}

    rows: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    for line, raw, unit in raw_rows:
        row = _check_row(line, unit, raw, anchors=anchors, groups=groups, users=users, profiles=profiles,
                         eligible_ids=eligible_ids, round=round)
        target = (row.key, row.anchor)
        if target in seen:
            where = "the whole version" if not row.anchor else f"{row.anchor!r}"
            raise TabularError(line, f"{row.voter} already votes on {where} on {unit.lower()} {seen[target]}; one "
                                     "vote per voter and target in a file.", unit=unit)
        seen[target] = line
        rows.append(row)

    # 2. Store: one import per round at a time, and no vote cast in between (votes take FOR SHARE).
    result = ImportResult(rows=len(rows), format=kind)
    with transaction.atomic():
        DraftingRound.objects.select_for_update().filter(pk=round.pk).first()
        result.stakeholders_created = _resolve_voters(rows, users, profiles)
        voter_ids = sorted({row.voter_id for row in rows})
        existing: dict[tuple[int, str], Vote] = {}
        for start in range(0, len(voter_ids), CHUNK):
            for vote in Vote.objects.select_for_update().filter(round=round, voter_id__in=voter_ids[start:start + CHUNK]):
                existing[(vote.voter_id, vote.anchor)] = vote
        now = timezone.now()
        new, changed, history = [], [], []
        for row in rows:
            vote = existing.get((row.voter_id, row.anchor))
            if vote is None:
                new.append(Vote(round=round, anchor=row.anchor, voter_id=row.voter_id, group_id=row.group_id,
                                position=row.position, rationale=row.rationale))
            elif (vote.position, vote.rationale, vote.group_id) != (row.position, row.rationale, row.group_id):
                vote.position, vote.rationale, vote.group_id, vote.updated_at = row.position, row.rationale, row.group_id, now
                changed.append(vote)
            else:
                result.unchanged += 1
                continue
            history.append(VoteChange(round=round, anchor=row.anchor, voter_id=row.voter_id, group_id=row.group_id,
                                      position=row.position, rationale=row.rationale))
        Vote.objects.bulk_create(new, batch_size=CHUNK)
        Vote.objects.bulk_update(changed, ["position", "rationale", "group", "updated_at"], batch_size=CHUNK)
        VoteChange.objects.bulk_create(history, batch_size=CHUNK)
        result.created, result.changed = len(new), len(changed)
        audit.record(actor=actor, verb="votes.imported", target=round, scope=round.definition.audit_scope,
                     data={**result.as_dict(), "filename": (filename or "")[:200]})
    return result


def _check_row(line, unit, raw, *, anchors, groups, users, profiles, eligible_ids, round) -> _Row:
    get = lambda name: (raw.get(name) or "")  # noqa: E731
    fail = lambda message: TabularError(line, message, unit=unit)  # noqa: E731
    voter = " ".join(get("voter").split())
    if not voter:
        raise fail("voter is empty.")
    if len(voter) > 150:
        raise fail("voter is longer than 150 characters.")
    group_text = get("group").strip()
    group = None
    if group_text:
        group = groups.get(group_text.casefold())
        if group is None:
            raise fail(f"unknown stakeholder group {group_text!r}.")
    user = users.get(voter.casefold())
    if user is not None:
        profile = profiles.get(user.pk)
        own = profile.group if profile else None
        if own is None:
            raise fail(f"{voter} is a user with no stakeholder group; they choose one in their profile first.")
        if group is not None and group.pk != own.pk:
            raise fail(f"{voter} is a user in {own.slug}, not {group.slug}.")
        group, key = own, "user:" + user.username.casefold()
    else:
        if group is None:
            raise fail(f"{voter} is not a user, so the row needs their stakeholder group.")
        key = import_key(voter)
    if eligible_ids and group.pk not in eligible_ids:
        raise fail(f"round {round.number} is not open to {group.slug}.")
    anchor = get("anchor").strip()
    if anchor not in anchors:
        raise fail(f"version {round.version.label} has no clause with the anchor {anchor!r}.")
    position_text = get("position").strip().lower()
    if position_text not in Position.values:
        raise fail(f"unknown position {get('position').strip()!r}; use one of {', '.join(Position.values)}.")
    try:
        rationale = clean_rationale(position_text, get("rationale"))
    except ValidationFailed as exc:
        raise fail(exc.message[0].lower() + exc.message[1:]) from None
    return _Row(line=line, voter=voter, key=key, group_id=group.pk, anchor=anchor, position=position_text,
                rationale=rationale)


def _resolve_voters(rows: list[_Row], users: dict, profiles: dict) -> int:
    """Set each row's voter id: users' stakeholders, then imported stakeholders by key, creating the
    missing ones in bulk. Returns how many stakeholders were created."""
    by_user = {"user:" + name: user for name, user in users.items()}
    ids: dict[str, int] = {}
    for key, user in by_user.items():
        profile = profiles.get(user.pk)
        ids[key] = profile.pk if profile else people.stakeholder_for(user).pk
    wanted = {}
    for row in rows:
        if row.key not in ids:
            wanted.setdefault(row.key, row)
    keys = list(wanted)
    known: dict[str, int] = {}
    for start in range(0, len(keys), CHUNK):
        known.update(Stakeholder.objects.filter(import_key__in=keys[start:start + CHUNK]).values_list("import_key", "pk"))
    missing = [Stakeholder(display_name=row.voter, group_id=row.group_id, import_key=key)
               for key, row in wanted.items() if key not in known]
    # ignore_conflicts: another import creating the same person at once is fine; read the ids back.
    Stakeholder.objects.bulk_create(missing, batch_size=CHUNK, ignore_conflicts=True)
    if missing:
        new_keys = [s.import_key for s in missing]
        for start in range(0, len(new_keys), CHUNK):
            known.update(Stakeholder.objects.filter(import_key__in=new_keys[start:start + CHUNK]).values_list("import_key", "pk"))
    ids.update(known)
    for row in rows:
        row.voter_id = ids[row.key]
    return len(missing)
