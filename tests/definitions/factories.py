"""Small builders for definitions tests (our own text)."""
from definitions import services

DRAFT_1 = """# Sample Definition {#sample}

## Purpose

This definition explains what a sample is.

## Criteria

- A sample is small.
- A sample is representative.

| Term | Meaning |
|------|---------|
| small | fits on a page |
"""

DRAFT_2 = """# Sample Definition {#sample}

## Purpose

This definition explains what a sample is.

## Criteria

- A sample is representative.
- A sample is small enough to read in one sitting.
- A sample is shared under open terms.

| Term | Meaning |
|------|---------|
| small | fits on a page |
"""


def make_definition(facilitator, slug="sample", title="Sample Definition"):
    return services.definition_create(actor=facilitator, slug=slug, title=title, summary="A test.", licence="CC0-1.0")


def make_version(facilitator, definition, label="0.1", markdown=DRAFT_1, publish=True):
    version = services.version_import(actor=facilitator, definition=definition, label=label, markdown=markdown)
    if publish:
        version = services.version_publish(actor=facilitator, version=version)
    return version
