"""Renderings of a diff: CriticMarkup Markdown and escaped HTML. Pure Python (no Django).

Markdown uses CriticMarkup: ``{++added++}``, ``{--deleted--}``, ``{~~old~>new~~}`` (a deletion right
before an insertion), and a comment ``{>>moved from #anchor<<}`` on moved clauses. Text that itself
contains CriticMarkup delimiters is written with a zero-width space after the first brace, so a
reader's CriticMarkup tool does not mistake document text for markup.

HTML is a fragment (no page), every piece of document text escaped, shown as source text in
``white-space: pre-wrap`` blocks. Stable class names for styling:
``wb-diff`` (the whole, plus ``inline`` or ``side_by_side``), ``wb-diff-clause`` with
``wb-op-<op>`` and ``data-op``, ``data-from-anchor``, ``data-to-anchor``; ``wb-diff-old`` and
``wb-diff-new`` (the two columns side by side); ``wb-diff-label`` (moved / added / removed notes);
``<ins>`` and ``<del>`` for word changes.
"""
from __future__ import annotations

import html
import re

from .diff import ClauseDiff, VersionDiff

_CRITIC_RE = re.compile(r"\{(?=[+\-~>=])")


def _critic_escape(text: str) -> str:
    return _CRITIC_RE.sub("{\u200b", text)


def clause_to_markdown(clause: ClauseDiff) -> str:
    out: list[str] = []
    words = clause.words
    i = 0
    while i < len(words):
        op, text = words[i]
        if op == "=":
            out.append(_critic_escape(text))
        elif op == "-" and i + 1 < len(words) and words[i + 1][0] == "+":
            out.append("{~~" + _critic_escape(text) + "~>" + _critic_escape(words[i + 1][1]) + "~~}")
            i += 1
        elif op == "-":
            out.append("{--" + _critic_escape(text) + "--}")
        else:
            out.append("{++" + _critic_escape(text) + "++}")
        i += 1
    body = "".join(out)
    if clause.op == "moved":
        note = f"{{>>moved from #{clause.from_anchor}<<}}" if clause.from_anchor else "{>>moved<<}"
        body = note + " " + body
    return body


def to_markdown(result: VersionDiff, *, only_changes: bool = False) -> str:
    stats = result.stats
    head = (
        f"<!-- Redline {result.from_label} -> {result.to_label}: {stats['modified']} modified, "
        f"{stats['added']} added, {stats['removed']} removed, {stats['moved']} moved, {stats['equal']} unchanged -->\n\n"
    )
    parts = []
    for clause in result.clauses:
        if only_changes and clause.op == "equal":
            continue
        text = clause_to_markdown(clause)
        parts.append(text if text.endswith("\n") else text + "\n")
    # Clauses are separated by a blank line: their own sources hold no gaps between blocks.
    return head + "\n".join(parts)


def _words_html(words, keep: str) -> str:
    """Inline rendering of ops; keep '=-+' for inline, '=-' for the old column, '=+' for the new."""
    out = []
    for op, text in words:
        if op not in keep:
            continue
        escaped = html.escape(text)
        if op == "=":
            out.append(escaped)
        elif op == "-":
            out.append(f"<del>{escaped}</del>")
        else:
            out.append(f"<ins>{escaped}</ins>")
    return "".join(out)


def clause_to_html(clause: ClauseDiff, *, layout: str = "inline", from_href: str | None = None,
                   to_href: str | None = None) -> str:
    attrs = (
        f'class="wb-diff-clause wb-op-{clause.op}" data-op="{clause.op}" '
        f'data-from-anchor="{html.escape(clause.from_anchor or "")}" data-to-anchor="{html.escape(clause.to_anchor or "")}"'
    )
    links = []
    if from_href and clause.from_anchor:
        links.append(f'<a href="{html.escape(from_href)}#{html.escape(clause.from_anchor)}">§ old</a>')
    if to_href and clause.to_anchor:
        links.append(f'<a href="{html.escape(to_href)}#{html.escape(clause.to_anchor)}">§ new</a>')
    labels = {"equal": "unchanged", "moved": f"moved from #{clause.from_anchor}", "added": "added",
              "removed": "removed", "modified": "whitespace only" if clause.whitespace_only else "modified"}
    label = labels[clause.op] if clause.op != "equal" or links else ""
    meta = ""
    if label:
        nav = f' <span class="wb-diff-links">{" ".join(links)}</span>' if links else ""
        meta = f'<div class="wb-diff-meta"><span class="wb-diff-label">{html.escape(label)}</span>{nav}</div>'
    if layout == "side_by_side":
        body = (
            f'<div class="wb-side-by-side"><div class="wb-diff-old">{_words_html(clause.words, "=-")}</div>'
            f'<div class="wb-diff-new">{_words_html(clause.words, "=+")}</div></div>'
        )
    else:
        body = _words_html(clause.words, "=-+")
    return f'<div {attrs}>{meta}<div class="wb-diff-text">{body}</div></div>'


def to_html(result: VersionDiff, *, layout: str = "inline", only_changes: bool = False,
            from_href: str | None = None, to_href: str | None = None) -> str:
    if layout not in ("inline", "side_by_side"):
        raise ValueError("layout must be 'inline' or 'side_by_side'")
    rows = [
        clause_to_html(c, layout=layout, from_href=from_href, to_href=to_href)
        for c in result.clauses
        if not (only_changes and c.op == "equal")
    ]
    if not rows:
        rows = ['<p class="wb-diff-empty">No changes.</p>']
    return (
        f'<div class="wb-diff {layout}" data-from="{html.escape(result.from_label)}" '
        f'data-to="{html.escape(result.to_label)}">' + "".join(rows) + "</div>"
    )
