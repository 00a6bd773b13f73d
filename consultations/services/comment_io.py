"""Comments in and out: import from other channels (CSV, JSON Lines or a JSON array), export as open
data (CSV and JSON) with the same columns, so an export imports into another round as the same comments.

Import columns: ``external_id, author, group, anchor, stance, body, suggestion, created_at``, and
optionally ``id, parent, disposition, response`` (what an export adds: ``parent`` names another
row's ``id`` or ``external_id``, so threads survive the trip). Every row is checked before anything
is stored; a bad row stops the whole file with its line number and reason. A row whose key is
already in the round is skipped, so importing the same file twice changes nothing. The key is the
``external_id``, or for rows exported from Workbench without one, ``workbench-comment:<id>``.

Authors: an author spelt like a user's username is that user; anyone else becomes an imported
stakeholder (no login) keyed by ``import:<name, case-folded>``, with the row's group.

CSV exports are UTF-8 with a byte-order mark, because spreadsheet programs (Excel above all) read
UTF-8 correctly only with one; the importer ignores it. A cell that a spreadsheet would run as a
formula (starting with = + @ or -x) is prefixed with an apostrophe, which the importer removes.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, time, timezone as dt_timezone
from typing import Iterator

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, F, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from definitions.models import Clause
from workbench import audit, services as people, tabular
from workbench.errors import DomainError, NotAllowed, ValidationFailed
from workbench.models import Stakeholder, StakeholderGroup
from workbench.roles import is_facilitator
from workbench.tabular import TabularError

from ..models import Comment, DraftingRound
from . import bulk
from .comments import MAX_DEPTH, clean_disposition, clean_stance, clean_text

IMPORT_COLUMNS = ("external_id", "author", "group", "anchor", "stance", "body", "suggestion", "created_at")
EXTRA_COLUMNS = ("id", "parent", "disposition", "response")
EXPORT_COLUMNS = ("id", "external_id", "anchor", "author", "group", "stance", "body", "suggestion", "parent",
                  "created_at", "disposition", "response")
WORKBENCH_KEY = "workbench-comment:"
BATCH = 2000
QUERY_CHUNK = 5000
FORMULA_START = ("=", "+", "@", "\t", "\r")


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    stakeholders_created: int = 0
    format: str = "csv"

    def as_dict(self) -> dict:
        return {"rows": self.rows, "created": self.created, "unchanged": self.unchanged,
                "stakeholders_created": self.stakeholders_created, "format": self.format}


class RowError(Exception):
    pass


# -- reading (the file itself is read by workbench.tabular) ---------------------------------------

def _unguard(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and _needs_guard(value[1:]):
        return value[1:]
    return value


def _needs_guard(value: str) -> bool:
    if not value:
        return False
    if value[0] in FORMULA_START:
        return True
    return value[0] == "-" and len(value) > 1 and value[1] not in " -"


def _has_key_column(columns: list[str]) -> str | None:
    if "external_id" not in columns and "id" not in columns:
        return "the column 'external_id' is missing; it lets a re-import skip what is already in."
    return None


COLUMNS = tabular.Columns(names=IMPORT_COLUMNS, optional=EXTRA_COLUMNS, required=("author", "body"),
                          csv_value=_unguard, check_header=_has_key_column)


# -- checking ----------------------------------------------------------------------------------

@dataclass
class _Row:
    line: int
    unit: str
    key: str
    source_id: str
    author: str
    author_key: str
    group_id: int | None
    anchor: str
    stance: str
    body: str
    suggestion: str
    created_at: datetime
    parent_ref: str
    disposition: str
    response: str
    parent_key: str | None = None
    depth: int = 0


def _normal_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _parse_when(raw: str, now: datetime) -> datetime:
    raw = raw.strip()
    if not raw:
        return now
    value = parse_datetime(raw.replace(" ", "T", 1) if "T" not in raw and " " in raw else raw)
    if value is None:
        day = parse_date(raw)
        if day is None:
            raise RowError(f"created_at {raw!r} is not a date and time like 2024-05-01T09:30:00Z.")
        value = datetime.combine(day, time(0, 0))
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt_timezone.utc)
    return value


def _check_row(line: int, unit: str, raw: dict, *, anchors: set[str], groups: dict[str, int], now: datetime) -> _Row:
    get = lambda name: (raw.get(name) or "")  # noqa: E731
    try:
        external_id = get("external_id").strip()
        source_id = get("id").strip()
        key = external_id or (f"{WORKBENCH_KEY}{source_id}" if source_id else "")
        if not key:
            raise RowError("external_id is empty; every row needs one so that a re-import can skip it.")
        if len(key) > 200:
            raise RowError("external_id is longer than 200 characters.")
        author = " ".join(get("author").split())
        if not author:
            raise RowError("author is empty.")
        if len(author) > 150:
            raise RowError("author is longer than 150 characters.")
        group_name = get("group").strip()
        group_id = None
        if group_name:
            group_id = groups.get(group_name.casefold())
            if group_id is None:
                raise RowError(f"unknown stakeholder group {group_name!r}.")
        anchor = get("anchor").strip()
        if anchor not in anchors:
            raise RowError(f"the version has no clause with the anchor {anchor!r}.")
        stance = clean_stance(get("stance").strip().lower())
        body = clean_text(get("body"), field="body", label="body", required=True)
        suggestion = clean_text(get("suggestion"), field="suggestion", label="suggestion", required=False)
        if suggestion and not anchor:
            raise RowError("a suggestion rewords a clause, but the anchor is empty (the whole version).")
        created_at = _parse_when(get("created_at"), now)
        disposition = clean_disposition(get("disposition").strip().lower())
        response = clean_text(get("response"), field="response", label="response", required=False)
    except RowError as exc:
        raise TabularError(line, str(exc), unit=unit) from None
    except DomainError as exc:
        raise TabularError(line, exc.message[0].lower() + exc.message[1:], unit=unit) from None
    return _Row(line=line, unit=unit, key=key, source_id=source_id, author=author,
                author_key=("import:" + _normal_name(author))[:200], group_id=group_id, anchor=anchor, stance=stance,
                body=body, suggestion=suggestion, created_at=created_at, parent_ref=get("parent").strip(),
                disposition=disposition, response=response)


def _chunks(items: list, size: int = QUERY_CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _parent_refs(rows: list[_Row]) -> set[str]:
    """Parent references that no row of the file answers to: they must be comments already in the round."""
    local = {row.source_id for row in rows if row.source_id} | {row.key for row in rows}
    outside = set()
    for row in rows:
        if row.parent_ref and row.parent_ref not in local:
            outside.update({row.parent_ref, WORKBENCH_KEY + row.parent_ref})
    return outside


def _link_threads(rows: list[_Row], existing: dict[str, tuple[int, int, str]]) -> None:
    """Resolve each row's parent (another row's id or external_id, or a comment already in the
    round) and its depth; threads deeper than three levels, loops and anchor mismatches are refused."""
    by_ref: dict[str, _Row] = {}
    for row in rows:
        if row.source_id:
            by_ref.setdefault(row.source_id, row)
    for row in rows:
        by_ref.setdefault(row.key, row)
    for row in rows:
        if not row.parent_ref:
            continue
        parent = by_ref.get(row.parent_ref)
        if parent is not None:
            if parent is row:
                raise TabularError(row.line, "a comment cannot reply to itself.", unit=row.unit)
            row.parent_key = parent.key
            parent_anchor = parent.anchor
        else:
            found = next((ref for ref in (row.parent_ref, WORKBENCH_KEY + row.parent_ref) if ref in existing), None)
            if found is None:
                raise TabularError(row.line, f"parent {row.parent_ref!r} is neither a row of this file nor a "
                                             "comment already imported into the round.", unit=row.unit)
            row.parent_key = found
            parent_anchor = existing[found][2]
        if parent_anchor != row.anchor:
            raise TabularError(row.line, "a reply must have the same anchor as the comment it answers.",
                               unit=row.unit)
    by_key = {row.key: row for row in rows}
    for row in rows:
        depth, seen, cursor = 0, {row.key}, row
        while cursor.parent_key is not None:
            depth += 1
            if cursor.parent_key not in by_key:  # a comment already in the round
                depth += existing[cursor.parent_key][1]
                break
            cursor = by_key[cursor.parent_key]
            if cursor.key in seen:
                raise TabularError(row.line, "its parents form a loop.", unit=row.unit)
            seen.add(cursor.key)
        if depth > MAX_DEPTH:
            raise TabularError(row.line, "replies nest at most three levels deep.", unit=row.unit)
        row.depth = depth


def comments_import(*, actor, round: DraftingRound, data: bytes | str, filename: str = "") -> ImportResult:
    """Import comments from another channel into a round (facilitators; ``actor`` None is the system)."""
    if actor is not None and not is_facilitator(actor):
        raise NotAllowed("Only facilitators can import comments.")
    limit = settings.WORKBENCH_MAX_IMPORT_BYTES
    if len(data) > limit:
        raise ValidationFailed(f"The file is {len(data):,} bytes; the limit is {limit:,} (WORKBENCH_MAX_IMPORT_BYTES).",
                               field="file")
    kind, reader = tabular.read_file(data, COLUMNS, filename=filename)
    fmt = "csv" if kind == tabular.CSV else "json"
    round = DraftingRound.objects.select_related("definition", "version").get(pk=round.pk)
    anchors = set(Clause.objects.filter(version_id=round.version_id).values_list("anchor", flat=True)) | {""}
    groups: dict[str, int] = {}
    for pk, slug, name in StakeholderGroup.objects.values_list("pk", "slug", "name"):
        groups[slug.casefold()] = pk
        groups.setdefault(name.casefold(), pk)
    now = timezone.now()

    # 1. Read and check every row; nothing is stored unless all of them pass.
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    for line, raw, unit in reader:
        row = _check_row(line, unit, raw, anchors=anchors, groups=groups, now=now)
        if row.key in first_line:
            raise TabularError(line, f"external_id {row.key!r} appears twice (first on {unit.lower()} "
                                     f"{first_line[row.key]}).", unit=unit)
        first_line[row.key] = line
        rows.append(row)
    if not rows:
        raise ValidationFailed("The file has no rows to import.", field="file")

    with transaction.atomic():
        # One import per round at a time: a second one waits, then finds these rows present.
        DraftingRound.objects.select_for_update().filter(pk=round.pk).first()
        existing: dict[str, tuple[int, int, str]] = {}
        keys = list(first_line) + sorted(_parent_refs(rows))
        for chunk in _chunks(keys):
            for key, pk, depth, anchor in Comment.objects.filter(round=round, external_id__in=chunk).values_list(
                "external_id", "pk", "depth", "anchor"
            ):
                existing[key] = (pk, depth, anchor)
        _link_threads(rows, existing)
        new_rows = [row for row in rows if row.key not in existing]
        result = ImportResult(rows=len(rows), unchanged=len(rows) - len(new_rows), format=fmt)
        if new_rows:
            authors, made = _resolve_authors(new_rows)
            result.stakeholders_created = made
            keyed = {key: value[0] for key, value in existing.items()}
            disposition_by = actor if getattr(actor, "is_authenticated", False) else None
            parent_keys = {row.parent_key for row in new_rows if row.parent_key}
            for depth in range(MAX_DEPTH + 1):
                level = [row for row in new_rows if row.depth == depth]
                if not level:
                    continue
                objs = [
                    Comment(
                        round=round, anchor=row.anchor, author_id=authors[_author_lookup(row)], body=row.body,
                        stance=row.stance, suggestion=row.suggestion,
                        parent_id=keyed[row.parent_key] if row.parent_key else None, depth=row.depth,
                        external_id=row.key, created_at=row.created_at, disposition=row.disposition,
                        response=row.response, disposition_by=disposition_by if row.disposition else None,
                        disposition_at=now if row.disposition else None,
                    )
                    for row in level
                ]
                bulk.insert_objects(Comment, objs, batch_size=BATCH)  # COPY on PostgreSQL
                # Ids are needed only for rows that later rows answer.
                wanted = [row.key for row in level if row.key in parent_keys]
                for chunk in _chunks(wanted):
                    keyed.update(Comment.objects.filter(round=round, external_id__in=chunk).values_list("external_id", "pk"))
            result.created = len(new_rows)
        audit.record(actor=actor, verb="comments.imported", target=round, scope=round.definition.audit_scope,
                     data={**result.as_dict(), "filename": filename[:200]})
    return result


def _author_lookup(row: _Row) -> str:
    return row.author.casefold()


def _resolve_authors(rows: list[_Row]) -> tuple[dict[str, int], int]:
    """Author name (case-folded) -> stakeholder id, in a few queries for any number of rows: users
    by username, then imported stakeholders by key, creating the missing ones in bulk."""
    User = get_user_model()
    names = {}
    for row in rows:
        names.setdefault(row.author.casefold(), row)
    resolved: dict[str, int] = {}
    users = {}
    for chunk in _chunks(list(names)):
        for user in User.objects.annotate(lname=Lower("username")).filter(lname__in=chunk):
            users[user.username.casefold()] = user
    for name, user in users.items():
        resolved[name] = people.stakeholder_for(user).pk
    wanted = {row.author_key: row for name, row in names.items() if name not in resolved}
    known: dict[str, int] = {}
    for chunk in _chunks(list(wanted)):
        known.update(Stakeholder.objects.filter(import_key__in=chunk).values_list("import_key", "pk"))
    missing = [
        Stakeholder(display_name=row.author, group_id=row.group_id, import_key=key)
        for key, row in wanted.items() if key not in known
    ]
    # ignore_conflicts: another import creating the same person at once is fine; read ids back after.
    Stakeholder.objects.bulk_create(missing, batch_size=BATCH, ignore_conflicts=True)
    if missing:
        for chunk in _chunks([s.import_key for s in missing]):
            known.update(Stakeholder.objects.filter(import_key__in=chunk).values_list("import_key", "pk"))
    for name, row in names.items():
        if name not in resolved:
            resolved[name] = known[row.author_key]
    return resolved, len(missing)


# -- export ----------------------------------------------------------------------------------

def export_queryset(round: DraftingRound):
    """Every visible comment of the round, oldest first, as plain values (streams at any size).
    ``parent`` is kept only when the parent is itself in the export (not hidden or withdrawn)."""
    return (
        Comment.objects.filter(round=round, hidden=False, withdrawn_at__isnull=True)
        .annotate(
            visible_parent=Case(
                When(parent__hidden=False, parent__withdrawn_at__isnull=True, then=F("parent_id")), default=None
            ),
            author_name=F("author__display_name"),
            group_slug=F("author__group__slug"),
        )
        .order_by("created_at", "pk")
        .values("pk", "external_id", "anchor", "author_name", "group_slug", "stance", "body", "suggestion",
                "visible_parent", "created_at", "disposition", "response")
    )


def _export_record(values: dict) -> dict:
    created = values["created_at"].astimezone(dt_timezone.utc)
    return {
        "id": values["pk"],
        "external_id": values["external_id"] or "",
        "anchor": values["anchor"] or None,
        "author": values["author_name"],
        "group": values["group_slug"] or "",
        "stance": values["stance"],
        "body": values["body"],
        "suggestion": values["suggestion"],
        "parent": values["visible_parent"],
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "disposition": values["disposition"] or "pending",
        "response": values["response"],
    }


def export_records(round: DraftingRound) -> Iterator[dict]:
    for values in export_queryset(round).iterator(chunk_size=BATCH):
        yield _export_record(values)


def _guard(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if _needs_guard(text) else text


def export_csv_chunks(round: DraftingRound) -> Iterator[str]:
    """The CSV export in pieces: BOM and header first, then about a thousand rows per piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for count, record in enumerate(export_records(round), start=1):
        writer.writerow([_guard(record[name]) for name in EXPORT_COLUMNS])
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def export_json_chunks(round: DraftingRound) -> Iterator[str]:
    """The JSON export (one array of objects) in pieces."""
    yield "["
    first = True
    for record in export_records(round):
        yield ("\n" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]\n"


def export_filename(round: DraftingRound, ext: str) -> str:
    return f"{round.definition.slug}-round-{round.number}-comments.{ext}"
