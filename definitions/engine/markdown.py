"""Markdown to clauses and back: split a version's Markdown into addressable clauses without losing
a byte, so that comments and votes can point at a clause and the version still exports exactly as
it was imported.

Built on markdown-it-py (CommonMark) with GFM tables and strikethrough, footnotes and YAML front
matter from mdit-py-plugins; `{#anchor}` at the end of a heading line names the heading's anchor.

The model
---------
The lines of a document (split on ``\\r\\n``, ``\\r`` and ``\\n`` only, exactly as markdown-it
numbers them; form feeds, ``\\u2028`` and friends are ordinary characters) are partitioned: every
line belongs either to exactly one clause's *own source* or to a *gap*. `Document.pieces` lists
the runs of lines in document order, and joining them gives the source back byte for byte.

A clause is one of:

- ``heading``: an ATX heading line, or the two lines (or more) of a setext heading;
- ``paragraph``: a top-level paragraph, lazy continuation lines included;
- ``list_item``: one item of a list, with everything inside it (paragraphs, quotes, code)
  except its nested list items, which are clauses of their own (children of the item);
- ``table``, ``blockquote`` (one clause, never split), ``code`` (fenced or indented),
  ``footnote`` (one definition), ``html`` (an HTML block).

What is not a clause lives in the gaps: blank lines, thematic breaks, link reference definitions
(collected in `Document.references`, so that one clause can be rendered alone with the links it
uses), YAML front matter (parsed into `Document.front_matter`), and anything markdown-it did not
map to a block. Leading and trailing blank lines of a clause go to the gaps too (except in code,
where they are content), so a clause's hash does not change when a list turns loose or tight.

A clause's own source is usually one run of lines. It is two or more runs only when a list item
goes on after its nested items (``- a`` / ``  - b`` / `` `` / ``  more of a``); `Clause.spans`
lists the runs, `start_line`/`end_line` bound them.

Parents: a heading is the parent of the blocks of its section and of lower-level headings; a list
item is the parent of its nested items. `heading_path` holds the plain text of the enclosing
headings (and the heading's own text, for a heading), with ``{#anchor}`` removed.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from .anchors import assign_anchors, slugify, split_explicit_anchor
from .html import is_safe_url

__all__ = [
    "CLAUSE_KINDS",
    "Clause",
    "Document",
    "Piece",
    "assign_anchors",
    "parse",
    "render",
    "slugify",
    "split_lines",
]

CLAUSE_KINDS = ("heading", "paragraph", "list_item", "table", "blockquote", "code", "footnote", "html")

# markdown-it's own notion of a line: it normalises \r\n and \r to \n and splits on \n alone.
# (str.splitlines would also split on \v, \f, \x1c-\x1e, \x85, \u2028 and \u2029, which are
# ordinary characters to markdown-it, and the line numbers of its token maps would drift.)
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")

# Block tokens that open a clause at the top level; list items are handled on their own.
_TOP_LEVEL_KINDS = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "table_open": "table",
    "blockquote_open": "blockquote",
    "footnote_reference_open": "footnote",
    "fence": "code",
    "code_block": "code",
    "html_block": "html",
}
_LIST_MARKER_RE = re.compile(r"\A[ \t]*(?:[-+*]|[0-9]{1,9}[.)])(?=[ \t\r\n]|\Z)")
_LIST_TOKENS = frozenset({"bullet_list_open", "bullet_list_close", "ordered_list_open", "ordered_list_close"})


@dataclass(frozen=True)
class Clause:
    """One addressable unit of a version."""

    index: int  # position in document order, from 0
    kind: str  # one of CLAUSE_KINDS
    source: str  # the clause's own exact source (nested list items excluded)
    start_line: int  # first line of the own source, from 0
    end_line: int  # one past its last line
    spans: tuple[tuple[int, int], ...]  # the runs of lines (start, end) that make up the source
    parent: int | None  # index of the enclosing heading or list item
    depth: int  # number of ancestors
    heading_path: tuple[str, ...]  # plain text of the enclosing headings (and its own, for a heading)
    explicit_anchor: str | None  # `{#anchor}` written at the end of a heading
    text: str  # the source with insignificant whitespace folded, for matching across versions
    hash: str  # sha256 (hex) of the source

    @property
    def heading_text(self) -> str | None:
        """A heading's own plain text (None for other kinds)."""
        return self.heading_path[-1] if self.kind == "heading" and self.heading_path else None


@dataclass(frozen=True)
class Piece:
    """A run of consecutive lines: part of a clause's own source (`clause` is its index) or a gap."""

    text: str
    clause: int | None
    start_line: int
    end_line: int


@dataclass(frozen=True)
class Document:
    """A parsed version: its clauses and the gaps between them, enough to rebuild the source."""

    source: str
    front_matter: dict[Any, Any] | None  # the YAML front matter if it is a mapping, else None
    front_matter_source: str | None  # its exact lines, delimiters included
    clauses: tuple[Clause, ...]
    pieces: tuple[Piece, ...]
    # Link reference definitions by normalised label: {"href": ..., "title": ...}.
    references: dict[str, dict[str, str]] = field(default_factory=dict)

    def gaps(self) -> list[Piece]:
        """The pieces that belong to no clause, in document order."""
        return [piece for piece in self.pieces if piece.clause is None]


def split_lines(source: str) -> list[str]:
    """The lines of `source` as markdown-it numbers them, each with its own line ending."""
    return _LINE_RE.findall(source)


def render(doc: Document) -> str:
    """The document's Markdown, rebuilt from its clauses' sources and the gaps between them."""
    return "".join(piece.text for piece in doc.pieces)


def parse(source: str) -> Document:
    """Split `source` into clauses. Never fails on any string; `render(parse(s)) == s`."""
    env: dict[str, Any] = {}
    tokens = _BLOCK_PARSER.parse(source, env)
    lines = split_lines(source)
    drafts, front_matter_map = _collect_drafts(tokens, env)
    owner = _assign_lines(drafts, len(lines), lines)
    clauses, pieces = _build(drafts, owner, lines)
    front_matter_source = None
    front_matter = None
    if front_matter_map is not None:
        start, end, yaml_text = front_matter_map
        front_matter_source = "".join(lines[start:end])
        front_matter = _load_front_matter(yaml_text)
    references = {
        label: {"href": ref.get("href", ""), "title": ref.get("title", "")}
        for label, ref in env.get("references", {}).items()
    }
    return Document(
        source=source,
        front_matter=front_matter,
        front_matter_source=front_matter_source,
        clauses=tuple(clauses),
        pieces=tuple(pieces),
        references=references,
    )


# --- parsing -------------------------------------------------------------------------------------


def _make_block_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})  # html on: HTML blocks are clauses of their own
    md.enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    # Footnote definitions stay where they are written (they are clauses there), not moved to the end.
    md.use(footnote_plugin, inline=False, move_to_end=False)
    # The block structure is all that is needed; headings' inline text is parsed on demand.
    md.disable("inline")
    # The same link policy as the HTML renderer, so that a line is a reference definition here
    # exactly when it is one there.
    md.validateLink = is_safe_url  # type: ignore[method-assign]
    return md


_BLOCK_PARSER = _make_block_parser()


@dataclass
class _Draft:
    """A clause while the token stream is walked (before lines are assigned and indices settled)."""

    kind: str
    start: int
    end: int
    parent: int | None
    heading_path: tuple[str, ...]
    explicit_anchor: str | None = None


def _collect_drafts(
    tokens: Sequence[Token], env: dict[str, Any]
) -> tuple[list[_Draft], tuple[int, int, str] | None]:
    """Walk the block tokens: one draft per clause, in document order (a parent before its children).

    Returns the drafts and, when the document has front matter, (start, end, yaml text).
    """
    closing = _closing_indices(tokens)
    drafts: list[_Draft] = []
    headings: list[tuple[int, int]] = []  # (level, draft index) of the enclosing headings
    paths: list[str] = []  # their plain text
    items: list[int | None] = []  # draft indices of the open list items (None: unmapped), innermost last
    front_matter: tuple[int, int, str] | None = None
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        kind = token.type
        if kind in _LIST_TOKENS:
            i += 1
            continue
        if kind == "list_item_open":
            enclosing = next((item for item in reversed(items) if item is not None), None)
            if token.map is not None and enclosing is not None and token.map[0] <= drafts[enclosing].start:
                # `- - a`: the nested item starts on its parent's first line, which cannot be
                # split between two clauses; the nested item (and all it holds) stays in the parent.
                i = closing.get(i, i) + 1
                continue
            if token.map is not None:
                parent = enclosing if enclosing is not None else (headings[-1][1] if headings else None)
                drafts.append(_Draft("list_item", token.map[0], token.map[1], parent, tuple(paths)))
                items.append(len(drafts) - 1)
            else:
                items.append(None)  # an item without a line map: its lines stay with its parent
            i += 1
            continue
        if kind == "list_item_close":
            if items:
                items.pop()
            i += 1
            continue
        if items:
            # Inside a list item, only nested lists are walked into: the rest is the item's own text.
            i = closing.get(i, i) + 1
            continue
        if kind == "front_matter" and token.map is not None:
            front_matter = (token.map[0], token.map[1], token.content)
        elif kind in _TOP_LEVEL_KINDS and token.map is not None:
            clause_kind = _TOP_LEVEL_KINDS[kind]
            parent = headings[-1][1] if headings else None
            if clause_kind == "heading":
                level = int(token.tag[1:]) if token.tag[1:].isdigit() else 1
                while headings and headings[-1][0] >= level:
                    headings.pop()
                    paths.pop()
                content = tokens[i + 1].content if i + 1 < n and tokens[i + 1].type == "inline" else ""
                text, explicit = split_explicit_anchor(content)
                paths.append(_plain_text(text, env))
                parent = headings[-1][1] if headings else None
                drafts.append(_Draft("heading", token.map[0], token.map[1], parent, tuple(paths), explicit))
                headings.append((level, len(drafts) - 1))
            else:
                drafts.append(_Draft(clause_kind, token.map[0], token.map[1], parent, tuple(paths)))
        i = closing.get(i, i) + 1
    return drafts, front_matter


def _closing_indices(tokens: Sequence[Token]) -> dict[int, int]:
    """Index of each opening token -> index of its closing token."""
    closing: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.nesting == 1:
            stack.append(index)
        elif token.nesting == -1 and stack:
            closing[stack.pop()] = index
    return closing


def _plain_text(inline_source: str, env: dict[str, Any]) -> str:
    """The visible text of a heading's inline Markdown, whitespace folded."""
    children: list[Token] = []
    _BLOCK_PARSER.inline.parse(inline_source, _BLOCK_PARSER, env, children)
    parts: list[str] = []
    _collect_text(children, parts)
    return " ".join("".join(parts).split())


def _collect_text(tokens: Sequence[Token], parts: list[str]) -> None:
    for token in tokens:
        if token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image" and token.children:
            _collect_text(token.children, parts)  # an image's alt text


# --- lines to clauses ------------------------------------------------------------------------------


def _is_blank(line: str) -> bool:
    # markdown-it's notion of an empty line: spaces and tabs only.
    return not line.rstrip("\r\n").strip(" \t")


def _assign_lines(drafts: Sequence[_Draft], line_count: int, lines: Sequence[str]) -> list[int]:
    """owner[line] = index of the draft whose own source holds the line, or -1 for a gap.

    Drafts come parent first, so a nested list item takes its lines from its parent item. Should
    two maps ever overlap otherwise, the later block takes the lines: every line still has exactly
    one owner, which is what keeps the round trip lossless.
    """
    owner = [-1] * line_count
    for index, draft in enumerate(drafts):
        start, end = max(draft.start, 0), min(draft.end, line_count)
        owner[start:end] = [index] * max(end - start, 0)
    # Blank lines at either end of a clause belong to the gap (code keeps them: they are content).
    own_lines: dict[int, list[int]] = {}
    for line, index in enumerate(owner):
        if index >= 0:
            own_lines.setdefault(index, []).append(line)
    for index, owned in own_lines.items():
        if drafts[index].kind == "code":
            continue
        first, last = 0, len(owned) - 1
        while first <= last and _is_blank(lines[owned[first]]):
            owner[owned[first]] = -1
            first += 1
        while last >= first and _is_blank(lines[owned[last]]):
            owner[owned[last]] = -1
            last -= 1
    return owner


def _build(drafts: Sequence[_Draft], owner: Sequence[int], lines: Sequence[str]) -> tuple[list[Clause], list[Piece]]:
    """Runs of lines with the same owner become pieces; drafts left with lines become clauses."""
    runs: list[tuple[int, int, int]] = []  # (owner, start, end)
    start = 0
    for line in range(1, len(owner) + 1):
        if line == len(owner) or owner[line] != owner[start]:
            runs.append((owner[start], start, line))
            start = line

    spans: dict[int, list[tuple[int, int]]] = {}
    for draft_index, begin, end in runs:
        if draft_index >= 0:
            spans.setdefault(draft_index, []).append((begin, end))
    new_index = {draft_index: position for position, draft_index in enumerate(sorted(spans))}

    clauses: list[Clause] = []
    for draft_index in sorted(spans):
        draft = drafts[draft_index]
        runs_of_clause = spans[draft_index]
        source = "".join("".join(lines[a:b]) for a, b in runs_of_clause)
        parent = draft.parent
        while parent is not None and parent not in new_index:  # a parent that kept no line
            parent = drafts[parent].parent
        parent_index = new_index[parent] if parent is not None else None
        clauses.append(
            Clause(
                index=len(clauses),
                kind=draft.kind,
                source=source,
                start_line=runs_of_clause[0][0],
                end_line=runs_of_clause[-1][1],
                spans=tuple(runs_of_clause),
                parent=parent_index,
                depth=clauses[parent_index].depth + 1 if parent_index is not None else 0,
                heading_path=draft.heading_path,
                explicit_anchor=draft.explicit_anchor,
                text=_matching_text(draft.kind, source, draft.explicit_anchor),
                hash=hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest(),
            )
        )
    pieces = [
        Piece(
            text="".join(lines[begin:end]),
            clause=new_index[draft_index] if draft_index >= 0 else None,
            start_line=begin,
            end_line=end,
        )
        for draft_index, begin, end in runs
    ]
    return clauses, pieces


def _matching_text(kind: str, source: str, explicit_anchor: str | None) -> str:
    """The source with whitespace that does not change the rendered text folded away.

    Outside code, runs of whitespace (line breaks, indentation, table padding) render as one space,
    so a reflowed paragraph has the same text. In code only trailing whitespace and the kind of
    line ending are insignificant. A heading's `{#anchor}` is markup, not text, and so is a list
    item's marker (renumbering a list, or switching `-` to `*`, changes no item's text).
    """
    if kind == "code":
        return "\n".join(line.rstrip() for line in split_lines(source)).rstrip("\n")
    if kind == "list_item":
        source = _LIST_MARKER_RE.sub("", source, count=1)
    if explicit_anchor is not None:
        marker = "{#" + explicit_anchor + "}"
        cut = source.rfind(marker)
        if cut >= 0:
            source = source[:cut] + source[cut + len(marker):]
    return " ".join(source.split())


# --- front matter ----------------------------------------------------------------------------------


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases: front matter has no use for them, and refusing them
    rules out 'billion laughs' documents that expand enormously once serialised."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed", self.peek_event().start_mark)
        return super().compose_node(parent, index)


def _load_front_matter(text: str) -> dict[Any, Any] | None:
    try:
        data = yaml.load(text, Loader=_FrontMatterLoader)  # a SafeLoader subclass: no arbitrary objects
    except Exception:  # bad front matter is the author's to fix, never a crash of the import
        # YAMLError for syntax, but also ValueError (a date like 2024-13-45), RecursionError, ...
        return None
    return data if isinstance(data, dict) else None
