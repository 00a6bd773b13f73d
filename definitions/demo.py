"""The demo definition: an "Open Model Definition" (the project's own text) in three versions,
0.1 and 0.2 published, 1.0 final."""
from __future__ import annotations

from pathlib import Path

from . import services
from .models import Definition

TEXTS = Path(__file__).resolve().parent / "demo_texts"
SLUG = "open-model-definition"
VERSIONS = [
    ("0.1", "First draft for comment.", "published"),
    ("0.2", "Answers round 1: data information made specific; training data encouraged.", "published"),
    ("1.0", "Final text after round 2.", "final"),
]


def load(*, users) -> list[str]:
    facilitator = users["facilitator"]
    definition = Definition.objects.filter(slug=SLUG).first()
    if definition is None:
        definition = services.definition_create(
            actor=facilitator,
            slug=SLUG,
            title="Open Model Definition",
            summary="What a machine-learning system must make available before it can be called an open model. "
            "A demo definition written for Workbench.",
            licence="CC-BY-4.0",
        )
    made = 0
    for label, note, status in VERSIONS:
        if definition.versions.filter(label=label).exists():
            continue
        markdown = (TEXTS / f"{label}.md").read_text(encoding="utf-8")
        version = services.version_import(
            actor=facilitator, definition=definition, label=label, markdown=markdown, change_note=note
        )
        services.version_publish(actor=facilitator, version=version)
        if status == "final":
            services.version_finalize(actor=facilitator, version=version)
        made += 1
    return [f"demo definition {SLUG}: {definition.versions.count()} versions ({made} new)"]
