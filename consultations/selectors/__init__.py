"""Reads for consultations, one module per area. The two functions here are the hooks the
definitions pages call: the rounds of a definition, and extra context for a version page."""
from __future__ import annotations


def rounds_for_definition(user, definition):
    from .rounds import rounds_for_definition as impl

    return impl(user, definition)


def version_page_context(user, version, clauses) -> dict:
    from .rounds import version_page_context as impl

    return impl(user, version, clauses)
