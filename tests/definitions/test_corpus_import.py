"""Importing a real drafting history through the service keeps the anchor of every unchanged clause.

Uses ../shared/corpus when present (or WORKBENCH_CORPUS); skipped cleanly without it."""
import os
from pathlib import Path

import pytest

from definitions import services

CORPUS = Path(os.environ.get("WORKBENCH_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
HISTORY = ["0.0.2", "0.0.3", "0.0.4", "0.0.5", "0.0.6", "0.0.7.1", "0.0.8", "0.0.9", "1.0-RC1"]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not (CORPUS / "osaid").is_dir(), reason=f"no drafting corpus at {CORPUS}"),
]


def test_osaid_history_keeps_anchors_of_unchanged_clauses(facilitator):
    definition = services.definition_create(actor=facilitator, slug="osaid", title="OSAID")
    previous = None
    kept_edited = edited = 0
    for label in HISTORY:
        markdown = (CORPUS / "osaid" / f"{label}.md").read_text(encoding="utf-8")
        version = services.version_import(actor=facilitator, definition=definition, label=label, markdown=markdown)
        assert version.source_markdown == markdown
        if previous is not None:
            old = {}
            for clause in previous.clauses.all():
                old.setdefault(clause.source_markdown, set()).add(clause.anchor)
            for clause in version.clauses.all():
                if clause.source_markdown in old:
                    assert clause.anchor in old[clause.source_markdown], (label, clause.source_markdown[:60])
                if clause.relation == "modified":
                    edited += 1
                    kept_edited += clause.continues.anchor == clause.anchor
        previous = version
    assert edited > 0 and kept_edited == edited
