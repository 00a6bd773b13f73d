"""Renderings of a diff: JSON, a CriticMarkup Markdown redline, and escaped HTML fragments.
Pure Python (no Django). The diff itself is data (`diff.VersionDiff`); this module only presents it.

JSON
    `to_json` is ``VersionDiff.to_dict()`` serialised as UTF-8 friendly JSON (no ASCII escapes).

Markdown (CriticMarkup)
    Unchanged text as it is; ``{++added++}``, ``{--deleted--}``, and ``{~~old~>new~~}`` for a
    deletion right before an insertion. Notes are CriticMarkup comments in a paragraph of their own
    before the clause (``{>>moved from §anchor<<}``, ``{>>whitespace only<<}``, ``{>>split from
    §a<<}``, ``{>>merged with §a<<}``, ``{>>merged into §a<<}``), so a heading or a table still starts
    its own line. Markup may span line breaks but never a paragraph break (a blank line), which
    CriticMarkup does not allow: a change holding one is marked paragraph by paragraph with the
    blank lines left bare (a change made only of blank lines is marked as it is), and a substitution
    holding one is written as a deletion then an insertion. So accepting every change gives the new
    text and rejecting every change gives the old one, except for those bare blank lines. Clauses
    are separated by one blank line.

    Document text may itself contain CriticMarkup delimiters. CriticMarkup has no escape character,
    so a ZERO WIDTH SPACE (U+200B) is put inside every opening or closing delimiter found in the
    text (``{++``, ``{--``, ``{~~``, ``{>>``, ``{==``, ``++}``, ``--}``, ``~~}``, ``<<}``, ``==}``)
    and inside ``~>``: the text reads the same, and no CriticMarkup tool takes it for markup.

HTML
    A fragment, not a page: every piece of document text is escaped with `html.escape` and shown as
    source (the diff is of Markdown source, not of rendered HTML), in blocks meant for
    ``white-space: pre-wrap``. Two layouts: ``inline`` (one text, ``<del>`` and ``<ins>`` inside) and
    ``side_by_side`` (two columns: the old text with ``<del>``, the new with ``<ins>``). Stable class
    names, for the templates to style:

    ``wb-diff``               the root; also ``wb-diff-inline`` or ``wb-diff-side-by-side``;
                              ``data-from``, ``data-to`` (version labels), ``data-layout``
    ``wb-diff-clause``        one per clause; also ``wb-op-equal|modified|added|removed|moved``, and
                              ``wb-whitespace-only``, ``wb-split``, ``wb-merged`` when they apply;
                              ``data-op``, ``data-from-anchor``, ``data-to-anchor`` (empty when none)
    ``wb-diff-meta``          the clause's note line: ``wb-diff-label`` (what happened to it) and
                              ``wb-diff-links`` (links to the clause in each version, when asked for)
    ``wb-diff-text``          the clause's text (inline layout)
    ``wb-side-by-side``       the clause's two columns (side-by-side layout): ``wb-diff-old`` and
                              ``wb-diff-new``, either one also ``wb-diff-blank`` when it has no text
    ``wb-diff-skip``          with ``only_changes``: stands for a run of unchanged clauses
                              (``data-count``)
    ``wb-diff-empty``         nothing to show (no clause, or no change with ``only_changes``)
    ``ins`` / ``del``         inserted and deleted text; also ``wb-ws`` when it is whitespace alone
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

from .diff import ClauseDiff, VersionDiff, WordOp

__all__ = [
    "LAYOUTS",
    "clause_to_html",
    "clause_to_markdown",
    "critic_escape",
    "to_html",
    "to_json",
    "to_markdown",
    "words_to_html",
]

Layout = Literal["inline", "side_by_side"]
LAYOUTS: tuple[Layout, ...] = ("inline", "side_by_side")

ZERO_WIDTH_SPACE = "\u200b"
# A line break, blank lines, and the indentation of the next line: where a paragraph ends.
_PARAGRAPH_BREAK_RE = re.compile(r"(\n[ \t]*\n\s*)")
_CRITIC_DELIMITER_RE = re.compile(r"\{(?=\+\+|--|~~|>>|==)|(?<=\+\+|--|~~|<<|==)\}|~(?=>)")


# -- JSON -------------------------------------------------------------------------------------------


def to_json(result: VersionDiff, *, indent: int | None = None) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=False, indent=indent)


# -- Markdown (CriticMarkup) ------------------------------------------------------------------------


def critic_escape(text: str) -> str:
    """``text`` with a zero width space inside every CriticMarkup delimiter, so it reads as text."""
    return _CRITIC_DELIMITER_RE.sub(lambda m: _break_delimiter(m.group()), text)


def _break_delimiter(char: str) -> str:
    # An opening brace or a tilde gets the space after it; a closing brace gets it before.
    return ZERO_WIDTH_SPACE + char if char == "}" else char + ZERO_WIDTH_SPACE


def _mark(kind: Literal["++", "--"], text: str) -> str:
    """``{++text++}`` or ``{--text--}``, paragraph by paragraph (see the module notes)."""
    if not _PARAGRAPH_BREAK_RE.search(text) or text.isspace():
        return "{" + kind + critic_escape(text) + kind + "}"
    pieces = _PARAGRAPH_BREAK_RE.split(text)
    return "".join(
        "{" + kind + critic_escape(piece) + kind + "}" if piece and not piece.isspace() else piece for piece in pieces
    )


def _words_to_markdown(words: Sequence[WordOp]) -> str:
    out: list[str] = []
    # A clause's own final line break goes after the markup that ends it, not inside: it is where
    # the next block starts, and the rendering puts its own blank line there anyway.
    ending = ""
    if words and words[-1][0] != "=" and words[-1][1].rstrip("\r\n") and not (
        len(words) > 1 and words[-2][0] == "-" and words[-1][0] == "+"
    ):
        op, text = words[-1]
        stripped = text.rstrip("\r\n")
        words = [*words[:-1], (op, stripped)]
        ending = text[len(stripped):]
    i = 0
    while i < len(words):
        op, text = words[i]
        if op == "=":
            out.append(critic_escape(text))
        elif op == "-" and i + 1 < len(words) and words[i + 1][0] == "+":
            new = words[i + 1][1]
            if _PARAGRAPH_BREAK_RE.search(text) or _PARAGRAPH_BREAK_RE.search(new):
                out.append(_mark("--", text) + _mark("++", new))
            else:
                out.append("{~~" + critic_escape(text) + "~>" + critic_escape(new) + "~~}")
            i += 1
        else:
            out.append(_mark("--" if op == "-" else "++", text))
        i += 1
    return "".join(out) + ending


def _notes(clause: ClauseDiff) -> list[str]:
    notes: list[str] = []
    if clause.op == "moved":
        notes.append(f"moved from {_section(clause.from_anchor)}" if clause.from_anchor else "moved")
    if clause.whitespace_only:
        notes.append("whitespace only")
    if clause.split_from is not None:
        notes.append(f"split from {_section(clause.split_from)}")
    if clause.merged_from:
        notes.append("merged with " + ", ".join(_section(a) for a in clause.merged_from))
    if clause.merged_into is not None:
        notes.append(f"merged into {_section(clause.merged_into)}")
    return notes


def _section(anchor: str | None) -> str:
    return f"§{anchor}" if anchor else "an unnamed clause"


def clause_to_markdown(clause: ClauseDiff) -> str:
    """One clause as CriticMarkup: its notes (a comment paragraph), then its text with the changes."""
    body = _words_to_markdown(clause.words).rstrip("\r\n")
    notes = _notes(clause)
    if not notes:
        return body
    comment = "{>>" + critic_escape("; ".join(notes)) + "<<}"
    return f"{comment}\n\n{body}" if body else comment


def to_markdown(result: VersionDiff, *, only_changes: bool = False, header: bool = True) -> str:
    """The whole redline as CriticMarkup Markdown. With ``only_changes``, each run of unchanged
    clauses is replaced by a comment saying how many were left out."""
    blocks: list[str] = []
    if header:
        stats = result.stats
        blocks.append(
            "{>>"
            + critic_escape(
                f"Redline from {result.from_label} to {result.to_label}: {stats['modified']} modified, "
                f"{stats['added']} added, {stats['removed']} removed, {stats['moved']} moved, "
                f"{stats['equal']} unchanged"
            )
            + "<<}"
        )
    for item in _with_skips(result.clauses, only_changes):
        if isinstance(item, int):
            blocks.append("{>>" + _unchanged(item) + "<<}")
        else:
            blocks.append(clause_to_markdown(item))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _with_skips(clauses: Iterable[ClauseDiff], only_changes: bool) -> Iterator[ClauseDiff | int]:
    """The clauses, or with ``only_changes`` the changed ones and, for each run of unchanged ones
    between them, its length."""
    skipped = 0
    for clause in clauses:
        if only_changes and clause.op == "equal":
            skipped += 1
            continue
        if skipped:
            yield skipped
            skipped = 0
        yield clause
    if skipped:
        yield skipped


def _unchanged(count: int) -> str:
    return f"{count} unchanged clause" + ("" if count == 1 else "s")


# -- HTML -------------------------------------------------------------------------------------------


def words_to_html(words: Iterable[WordOp], *, side: Literal["both", "old", "new"] = "both") -> str:
    """Word ops as escaped HTML: ``<del>`` and ``<ins>`` around changes. ``side="old"`` keeps only
    what the old text had (with its deletions), ``side="new"`` only what the new text has."""
    skip = {"both": "", "old": "+", "new": "-"}[side]
    out: list[str] = []
    for op, text in words:
        if op == skip or not text:
            continue
        escaped = html.escape(text)
        if op == "=":
            out.append(escaped)
            continue
        tag = "del" if op == "-" else "ins"
        ws = ' class="wb-ws"' if text.isspace() else ""
        out.append(f"<{tag}{ws}>{escaped}</{tag}>")
    return "".join(out)


def _label(clause: ClauseDiff) -> str:
    if clause.op == "moved":
        label = f"moved from {_section(clause.from_anchor)}" if clause.from_anchor else "moved"
        if clause.whitespace_only:
            label += ", whitespace only"
        elif clause.has_word_changes:
            label += " and edited"
    elif clause.op == "modified":
        label = "whitespace only" if clause.whitespace_only else "modified"
    elif clause.op == "added":
        label = f"added, split from {_section(clause.split_from)}" if clause.split_from is not None else "added"
    elif clause.op == "removed":
        label = f"removed, merged into {_section(clause.merged_into)}" if clause.merged_into is not None else "removed"
    else:
        label = ""
    if clause.merged_from:
        label += ("; " if label else "") + "merged with " + ", ".join(_section(a) for a in clause.merged_from)
    return label


def clause_to_html(
    clause: ClauseDiff, *, layout: Layout = "inline", from_href: str | None = None, to_href: str | None = None
) -> str:
    """One clause's wrapper element. ``from_href``/``to_href``: addresses of the two versions'
    pages, to link the clause's anchor in each."""
    classes = ["wb-diff-clause", f"wb-op-{clause.op}"]
    if clause.whitespace_only:
        classes.append("wb-whitespace-only")
    if clause.split_from is not None:
        classes.append("wb-split")
    if clause.merged_from or clause.merged_into is not None:
        classes.append("wb-merged")
    attrs = (
        f'class="{" ".join(classes)}" data-op="{clause.op}" '
        f'data-from-anchor="{_attr(clause.from_anchor)}" data-to-anchor="{_attr(clause.to_anchor)}"'
    )
    links: list[str] = []
    if from_href and clause.from_anchor:
        links.append(f'<a href="{_attr(from_href)}#{_attr(clause.from_anchor)}">§ old</a>')
    if to_href and clause.to_anchor:
        links.append(f'<a href="{_attr(to_href)}#{_attr(clause.to_anchor)}">§ new</a>')
    meta = ""
    label = _label(clause)
    if label or links:
        parts = [f'<span class="wb-diff-label">{html.escape(label)}</span>'] if label else []
        if links:
            parts.append(f'<span class="wb-diff-links">{" ".join(links)}</span>')
        meta = f'<div class="wb-diff-meta">{" ".join(parts)}</div>'
    if layout == "side_by_side":
        old = words_to_html(clause.words, side="old")
        new = words_to_html(clause.words, side="new")
        body = (
            f'<div class="wb-side-by-side">'
            f'<div class="wb-diff-old{"" if old else " wb-diff-blank"}">{old}</div>'
            f'<div class="wb-diff-new{"" if new else " wb-diff-blank"}">{new}</div></div>'
        )
    else:
        body = f'<div class="wb-diff-text">{words_to_html(clause.words)}</div>'
    return f"<div {attrs}>{meta}{body}</div>"


def to_html(
    result: VersionDiff,
    *,
    layout: Layout = "inline",
    only_changes: bool = False,
    from_href: str | None = None,
    to_href: str | None = None,
) -> str:
    """The whole diff as one HTML fragment (see the module notes for its classes)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    rows: list[str] = []
    shown = 0
    for item in _with_skips(result.clauses, only_changes):
        if isinstance(item, int):
            rows.append(f'<div class="wb-diff-skip" data-count="{item}">{_unchanged(item)}</div>')
        else:
            rows.append(clause_to_html(item, layout=layout, from_href=from_href, to_href=to_href))
            shown += 1
    if not shown:
        rows = [f'<p class="wb-diff-empty">{"No changes." if result.clauses else "No clauses."}</p>']
    layout_class = "wb-diff-inline" if layout == "inline" else "wb-diff-side-by-side"
    return (
        f'<div class="wb-diff {layout_class}" data-from="{_attr(result.from_label)}" '
        f'data-to="{_attr(result.to_label)}" data-layout="{layout}">' + "".join(rows) + "</div>"
    )


def _attr(value: str | None) -> str:
    return html.escape(value or "", quote=True)
