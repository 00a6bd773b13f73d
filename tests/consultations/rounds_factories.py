"""Builders for the rounds and comments tests (our own text). Versions are stored directly as
clause rows, so these tests depend on the rounds code only, not on the Markdown engines."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone
from django.utils.html import escape

from consultations.models import DraftingRound, RoundState
from consultations.services import rounds as round_services
from definitions.models import Clause, Definition, DefinitionVersion, VersionStatus

V1 = [
    ("sample", "heading", "# Sample Definition"),
    ("purpose", "paragraph", "This definition explains what a sample is."),
    ("criteria-li1", "list_item", "- A sample is small."),
    ("criteria-li2", "list_item", "- A sample is representative."),
]
V2 = [
    ("sample", "heading", "# Sample Definition"),
    ("purpose", "paragraph", "This definition explains what a sample is and why it matters."),
    ("criteria-li1", "list_item", "- A sample is small."),
    ("criteria-li3", "list_item", "- A sample is shared under open terms."),
]
V3 = [
    ("sample", "heading", "# Sample Definition"),
    ("purpose", "paragraph", "This definition explains what a sample is and why it matters."),
    ("criteria-li1", "list_item", "- A sample is small enough to read in one sitting."),
    ("criteria-li3", "list_item", "- A sample is shared under open terms."),
]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_definition(slug="sample", title="Sample Definition") -> Definition:
    return Definition.objects.create(slug=slug, title=title, summary="A test.", licence="CC0-1.0")


def make_version(definition, label, clauses, *, previous=None, status=VersionStatus.PUBLISHED) -> DefinitionVersion:
    source = "\n\n".join(md for _, _, md in clauses) + "\n"
    sequence = definition.versions.count() + 1
    version = DefinitionVersion.objects.create(
        definition=definition, label=label, sequence=sequence, status=VersionStatus.DRAFT, source_markdown=source,
        content_hash=_hash(source), title=definition.title, previous=previous, clause_count=len(clauses),
    )
    before = {c.anchor: c for c in previous.clauses.all()} if previous else {}
    Clause.objects.bulk_create([
        Clause(
            version=version, anchor=anchor, ordinal=i, kind=kind, depth=0, heading_path=[], source_markdown=md,
            html=f"<p>{escape(md)}</p>", hash=_hash(md), continues=before.get(anchor),
            relation=("equal" if before[anchor].hash == _hash(md) else "modified") if anchor in before else "",
        )
        for i, (anchor, kind, md) in enumerate(clauses)
    ])
    if status != VersionStatus.DRAFT:
        DefinitionVersion.objects.filter(pk=version.pk).update(status=status, published_at=timezone.now())
        version.refresh_from_db()
    return version


def make_round(facilitator, version, *, state=RoundState.OPEN, **fields) -> DraftingRound:
    now = timezone.now()
    fields.setdefault("title", "Round for comment")
    fields.setdefault("opens_at", now - timedelta(hours=1) if state != RoundState.SCHEDULED else now + timedelta(days=1))
    fields.setdefault("closes_at", now + timedelta(days=7) if state != RoundState.SCHEDULED else now + timedelta(days=8))
    round = round_services.round_create(actor=facilitator, definition=version.definition, version=version, **fields)
    if state in (RoundState.OPEN, RoundState.CLOSED):
        round = round_services.round_open(actor=facilitator, round=round)
    if state == RoundState.CLOSED:
        round = round_services.round_close(actor=facilitator, round=round)
    return round


# -- fixtures (import them into a test module with `from .rounds_factories import *`) --------------
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users are made by the dozen here; a fast hasher keeps the suite quick (passwords are not the subject)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def definition(db):
    return make_definition()


@pytest.fixture
def v1(definition):
    return make_version(definition, "0.1", V1)


@pytest.fixture
def v2(definition, v1):
    return make_version(definition, "0.2", V2, previous=v1)


@pytest.fixture
def open_round(facilitator, v1):
    return make_round(facilitator, v1)


__all__ = ["fast_passwords", "V1", "V2", "V3", "make_definition", "make_version", "make_round", "definition", "v1", "v2", "open_round"]
