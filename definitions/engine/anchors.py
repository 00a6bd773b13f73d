"""Clause anchors: the addresses (`#what-is-open-p2`) by which a clause is linked, commented on and
carried forward from one version of a definition to the next.

Three sources, in order of precedence:

1. explicit: the author wrote ``{#anchor}`` at the end of a heading line; it wins, always;
2. inherited: the alignment engine matched the clause to a clause of the previous version, whose
   anchor it keeps (unless another clause of this version already holds that anchor);
3. derived: a fresh slug made of the section's anchor plus the clause's kind and position within
   its section (``preferred-form-p2``, ``what-is-open-li3``), or the heading's own text for a
   heading (``preferred-form-to-make-modifications``).

Anchors are unique within a version (compared case-insensitively, so two anchors never differ by
case alone); a collision is resolved with a numeric suffix (``scope-2``). A derived anchor never
reuses an anchor of the previous version that no clause inherited: a removed clause's address is
not recycled for an unrelated new clause, so an old link or comment can never silently point at
different text. Derived anchors are lowercase ``[a-z0-9-]`` and never empty.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing only: markdown.py imports this module at run time
    from .markdown import Document

__all__ = [
    "EXPLICIT_ANCHOR_RE",
    "KIND_CODES",
    "assign_anchors",
    "slugify",
    "split_explicit_anchor",
]

# `{#anchor}` at the very end of a heading's text (after markdown-it has removed an ATX closing
# sequence). Letters, digits, `_`, `-`, `.` and `:` are what HTML ids written by hand tend to use;
# anything else is left in the heading text as written.
EXPLICIT_ANCHOR_RE = re.compile(r"[ \t]*\{#([A-Za-z0-9][A-Za-z0-9_.:\-]*)\}[ \t]*\Z")

# Short kind codes for derived anchors; a heading's anchor is its own slug instead.
KIND_CODES: Mapping[str, str] = {
    "paragraph": "p",
    "list_item": "li",
    "table": "table",
    "blockquote": "quote",
    "code": "code",
    "footnote": "fn",
    "html": "html",
}

SLUG_MAX_LENGTH = 50
_APOSTROPHES_RE = re.compile(r"['\u2019\u02bc]")
_NON_SLUG_RE = re.compile(r"[^a-z0-9]+")


def split_explicit_anchor(heading_text: str) -> tuple[str, str | None]:
    """Split `Heading text {#anchor}` into `("Heading text", "anchor")`; `(text, None)` without one."""
    match = EXPLICIT_ANCHOR_RE.search(heading_text)
    if match is None:
        return heading_text, None
    return heading_text[: match.start()], match.group(1)


def slugify(text: str, *, max_length: int = SLUG_MAX_LENGTH, fallback: str = "section") -> str:
    """A short, lowercase, URL-safe slug (`[a-z0-9-]`) of `text`; `fallback` when nothing is left.

    Accents are folded to ASCII (`Définition` -> `definition`), apostrophes dropped (`what's` ->
    `whats`), every other run of non-alphanumerics becomes one hyphen. Long slugs are cut at a word
    boundary so that anchors stay readable in a URL.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = _NON_SLUG_RE.sub("-", _APOSTROPHES_RE.sub("", folded)).strip("-")
    if len(slug) > max_length:
        cut = slug.rfind("-", 0, max_length + 1)
        slug = slug[: cut if cut > 0 else max_length].strip("-")
    return slug or fallback


class _Registry:
    """The anchors taken in one version, and those a fresh anchor must not reuse."""

    def __init__(self, forbidden: Iterable[str]) -> None:
        self._taken: set[str] = set()
        self._forbidden = {anchor.casefold() for anchor in forbidden}

    def is_free(self, anchor: str) -> bool:
        return anchor.casefold() not in self._taken

    def claim(self, anchor: str) -> str:
        self._taken.add(anchor.casefold())
        return anchor

    def claim_fresh(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`, ...: the first that is neither taken nor forbidden."""
        candidate, n = base, 1
        while candidate.casefold() in self._taken or candidate.casefold() in self._forbidden:
            n += 1
            candidate = f"{base}-{n}"
        return self.claim(candidate)


def assign_anchors(
    doc: Document,
    inherited: Mapping[int, str | None] | None = None,
    previous_anchors: Collection[str] = (),
) -> list[str]:
    """One anchor per clause of `doc`, in clause order.

    `inherited` maps a clause index to the anchor of the previous version's clause it continues
    (None or missing: a new clause); `previous_anchors` are all anchors of the previous version.
    Deterministic: the same document with the same arguments always gets the same anchors.
    """
    clauses = doc.clauses
    claims: dict[int, str] = {
        index: anchor
        for index, anchor in (inherited or {}).items()
        if anchor and isinstance(index, int) and 0 <= index < len(clauses)
    }
    anchors: list[str | None] = [None] * len(clauses)
    registry = _Registry(forbidden=[*previous_anchors, *claims.values()])

    # 1. Explicit anchors win. A second heading with the same {#id} cannot have it too; it is
    #    given a suffixed variant in step 3.
    for clause in clauses:
        if clause.explicit_anchor and registry.is_free(clause.explicit_anchor):
            anchors[clause.index] = registry.claim(clause.explicit_anchor)

    # 2. Inherited anchors, first come first served (a clause split in two keeps its anchor on
    #    the first part).
    for index in sorted(claims):
        if anchors[index] is None and registry.is_free(claims[index]):
            anchors[index] = registry.claim(claims[index])

    # 3. Fresh anchors, in document order so that a heading's anchor is settled before the
    #    anchors of its section, which are built on it.
    section_counts: dict[tuple[int | None, str], int] = {}
    for clause in clauses:
        section = _section_heading(doc, clause.index)
        if clause.kind != "heading":
            key = (section, clause.kind)
            section_counts[key] = section_counts.get(key, 0) + 1
        if anchors[clause.index] is not None:
            continue
        if clause.explicit_anchor:
            base = slugify(clause.explicit_anchor)
        elif clause.kind == "heading":
            base = slugify(clause.heading_path[-1] if clause.heading_path else "")
        else:
            code = KIND_CODES.get(clause.kind, "c") + str(section_counts[(section, clause.kind)])
            prefix = slugify(anchors[section], fallback="") if section is not None else ""  # type: ignore[arg-type]
            base = f"{prefix}-{code}" if prefix else code
        anchors[clause.index] = registry.claim_fresh(base)
    return anchors  # type: ignore[return-value]


def _section_heading(doc: Document, index: int) -> int | None:
    """Index of the heading whose section holds clause `index` (None before the first heading)."""
    parent = doc.clauses[index].parent
    while parent is not None and doc.clauses[parent].kind != "heading":
        parent = doc.clauses[parent].parent
    return parent
