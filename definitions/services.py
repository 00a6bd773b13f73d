"""Writes for definitions: create a definition, import a version (clauses, anchors, alignment),
publish, finalize. Each action is check -> execute -> audit, so the API, pages, admin actions and
management commands behave the same way."""
from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from workbench import audit
from workbench.errors import Conflict, ImmutableError, NotAllowed, ValidationFailed
from workbench.roles import is_facilitator

from .engine import align as align_engine
from .engine import html as html_engine
from .engine import markdown as md_engine
from .models import Clause, Definition, DefinitionVersion, VersionStatus

LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_+]{0,39}$")


def _require_facilitator(actor, what: str) -> None:
    # actor None is the system itself (management commands run by an operator, demo data).
    if actor is not None and not is_facilitator(actor):
        raise NotAllowed(f"Only facilitators can {what}.")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode_markdown(data: bytes) -> str:
    """Uploaded bytes to text: UTF-8 only (a leading BOM is kept, so export gives the same bytes)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"The file is not valid UTF-8 (bad byte at position {exc.start}). Save it as UTF-8 and try again.",
            field="markdown",
        ) from None


def check_markdown(markdown: str) -> None:
    if not isinstance(markdown, str):
        raise ValidationFailed("The Markdown must be text.", field="markdown")
    size = len(markdown.encode("utf-8", errors="surrogatepass"))
    limit = settings.WORKBENCH_MAX_VERSION_BYTES
    if size > limit:
        raise ValidationFailed(
            f"The Markdown is {size:,} bytes; the limit is {limit:,} bytes (WORKBENCH_MAX_VERSION_BYTES).",
            field="markdown",
        )
    try:
        markdown.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed("The Markdown contains characters that are not valid UTF-8.", field="markdown") from None


@transaction.atomic
def definition_create(*, actor, slug: str, title: str, summary: str = "", licence: str = "") -> Definition:
    _require_facilitator(actor, "create definitions")
    title = (title or "").strip()
    slug = (slug or "").strip() or slugify(title)
    if not title:
        raise ValidationFailed("A definition needs a title.", field="title")
    if not slug or slugify(slug) != slug:
        raise ValidationFailed("The slug may hold only lowercase letters, digits and hyphens.", field="slug")
    if len(slug) > 80 or len(title) > 200:
        raise ValidationFailed("The slug is limited to 80 characters and the title to 200.", field="slug")
    if Definition.objects.filter(slug=slug).exists():
        raise Conflict(f"A definition with the slug {slug!r} already exists.", field="slug")
    definition = Definition.objects.create(
        slug=slug, title=title, summary=summary or "", licence=licence or "", created_by=_user(actor)
    )
    audit.record(actor=actor, verb="definition.created", target=definition, scope=definition.audit_scope)
    return definition


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def preview_clauses(markdown: str) -> list[dict]:
    """The clause breakdown of a text, without storing anything (for the import preview)."""
    check_markdown(markdown)
    document = md_engine.parse(markdown)
    anchors = md_engine.assign_anchors(document)
    return [
        {"anchor": anchor, "kind": c.kind, "depth": c.depth, "heading_path": list(c.heading_path), "markdown": c.source}
        for c, anchor in zip(document.clauses, anchors)
    ]


@transaction.atomic
def version_import(
    *, actor, definition: Definition, label: str, markdown: str, change_note: str = ""
) -> DefinitionVersion:
    """Store a new draft version: split into clauses, inheriting anchors from the latest version."""
    _require_facilitator(actor, "import versions")
    label = (label or "").strip()
    if not LABEL_RE.match(label):
        raise ValidationFailed(
            "A label is 1-40 letters, digits, dots, hyphens, underscores or plus signs, e.g. 0.0.9 or 1.0-RC1.",
            field="label",
        )
    check_markdown(markdown)
    # Lock the definition row: two imports at once must not both take the same sequence number.
    Definition.objects.select_for_update().filter(pk=definition.pk).first()
    if definition.versions.filter(label=label).exists():
        raise Conflict(f"{definition.slug} already has a version labelled {label!r}.", field="label")
    previous = definition.versions.order_by("-sequence").first()
    sequence = (definition.versions.aggregate(m=Max("sequence"))["m"] or 0) + 1

    document = md_engine.parse(markdown)
    inherited: dict[int, str] = {}
    relations: dict[int, tuple[int | None, str]] = {}
    previous_clauses: list[Clause] = []
    if previous is not None:
        previous_clauses = list(previous.clauses.order_by("ordinal").only("id", "anchor", "source_markdown", "ordinal"))
        alignment = align_engine.align(
            [align_engine.ClauseRef(key=c.anchor, markdown=c.source_markdown) for c in previous_clauses],
            [align_engine.ClauseRef(key=None, markdown=c.source) for c in document.clauses],
        )
        for pair in alignment.pairs:
            if pair.new_index is None:
                continue
            if pair.old_index is not None:
                relations[pair.new_index] = (pair.old_index, pair.relation)
                inherited[pair.new_index] = previous_clauses[pair.old_index].anchor
            elif pair.relation == "split" and pair.split_from is not None:
                # The extra part of a split clause: a new anchor, but it records where it came from.
                relations[pair.new_index] = (pair.split_from, "split")
    anchors = md_engine.assign_anchors(
        document, inherited=inherited, previous_anchors={c.anchor for c in previous_clauses}
    )
    try:
        version = DefinitionVersion.objects.create(
            definition=definition,
            label=label,
            sequence=sequence,
            status=VersionStatus.DRAFT,
            source_markdown=markdown,
            content_hash=content_hash(markdown),
            title=definition.title,
            licence=definition.licence,
            change_note=change_note or "",
            previous=previous,
            clause_count=len(document.clauses),
            created_by=_user(actor),
        )
    except IntegrityError:
        raise Conflict(f"{definition.slug} already has a version labelled {label!r}.", field="label") from None
    rows = []
    for clause, anchor in zip(document.clauses, anchors):
        old_index, relation = relations.get(clause.index, (None, "added" if previous else ""))
        continues = previous_clauses[old_index] if old_index is not None else None
        # An inherited anchor that assign_anchors could not use (e.g. an explicit {#id} won) means
        # the clause does not continue the old one under that address.
        if continues is not None and relation != "split" and continues.anchor != anchor:
            continues, relation = None, "added"
        rows.append(
            Clause(
                version=version,
                anchor=anchor,
                ordinal=clause.index,
                kind=clause.kind,
                depth=clause.depth,
                heading_path=list(clause.heading_path),
                source_markdown=clause.source,
                html=html_engine.render_html(clause.source, references=document.references, kind=clause.kind),
                hash=clause.hash,
                continues=continues,
                relation=relation,
            )
        )
    Clause.objects.bulk_create(rows, batch_size=1000)
    by_index = {c.ordinal: c for c in Clause.objects.filter(version=version).only("id", "ordinal")}
    parent_updates = []
    for clause in document.clauses:
        if clause.parent is not None:
            row = by_index[clause.index]
            row.parent_id = by_index[clause.parent].id
            parent_updates.append(row)
    Clause.objects.bulk_update(parent_updates, ["parent"], batch_size=1000)
    kept = sum(1 for c in rows if c.continues_id and c.relation == "equal")
    audit.record(
        actor=actor,
        verb="version.imported",
        target=version,
        scope=definition.audit_scope,
        data={"label": label, "clauses": len(rows), "unchanged_clauses_kept": kept, "content_hash": version.content_hash},
    )
    return version


@transaction.atomic
def version_publish(*, actor, version: DefinitionVersion) -> DefinitionVersion:
    _require_facilitator(actor, "publish versions")
    version = DefinitionVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise ImmutableError(f"Version {version.label} is already {version.status}.")
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    audit.record(actor=actor, verb="version.published", target=version, scope=version.definition.audit_scope)
    return version


@transaction.atomic
def version_finalize(*, actor, version: DefinitionVersion) -> DefinitionVersion:
    _require_facilitator(actor, "finalize versions")
    version = DefinitionVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == VersionStatus.FINAL:
        raise Conflict(f"Version {version.label} is already final.")
    if version.status != VersionStatus.PUBLISHED:
        raise Conflict(f"Publish version {version.label} before making it final.")
    other = version.definition.versions.filter(status=VersionStatus.FINAL).exclude(pk=version.pk).first()
    if other is not None:
        raise Conflict(f"{version.definition.slug} already has a final version ({other.label}).")
    version.status = VersionStatus.FINAL
    version.finalized_at = timezone.now()
    try:
        with transaction.atomic():
            version.save(update_fields=["status", "finalized_at"])
    except IntegrityError:
        raise Conflict(f"{version.definition.slug} already has a final version.") from None
    audit.record(actor=actor, verb="version.finalized", target=version, scope=version.definition.audit_scope)
    return version


@transaction.atomic
def version_delete_draft(*, actor, version: DefinitionVersion) -> None:
    _require_facilitator(actor, "delete drafts")
    if version.is_frozen:
        raise ImmutableError(f"Version {version.label} is {version.status} and cannot be deleted.")
    if DefinitionVersion.objects.filter(previous=version).exists():
        raise Conflict(f"Version {version.label} is continued by a later version and cannot be deleted.")
    audit.record(actor=actor, verb="version.deleted", target=version, scope=version.definition.audit_scope,
                 data={"label": version.label, "content_hash": version.content_hash})
    version.clauses.all().delete()
    version.delete()
