"""Safe HTML from Markdown: one clause, a whole version, or a stakeholder's comment.

Two lines of defence. The main one is markdown-it itself with raw HTML turned off (``<script>``
is shown as text, never passed through) and an allow-list of link schemes (`SAFE_URL_SCHEMES`;
``javascript:``, ``vbscript:``, ``data:``, ``file:`` and everything else unknown are dropped,
whatever their case or entity encoding). The second is nh3 (ammonia) over the output, with an
allow-list of exactly the tags and attributes this renderer produces, so that a future plugin or
a parser bug cannot smuggle an attribute or a scheme through.

Clauses: GFM tables, strikethrough and footnotes are on; a heading's ``{#anchor}`` is not shown.
A footnote definition renders where it stands (``<div class="footnote" id="fn-LABEL">``) and a
reference ``[^LABEL]`` links to ``#fn-LABEL``, so that each works when its clause is rendered
alone and the links resolve on a page that shows every clause of a version. A nested list item
clause (``    - item``) is dedented before rendering, otherwise its indentation would make it
a code block. `references` lets a clause use link reference definitions written elsewhere in its
document (`Document.references`).

Comments (`render_comment_html`): the same, plus ``rel="nofollow ugc noopener"`` on every link,
and images shown as a link to the image, never loaded: an image in a comment would let anyone
who comments see who reads it (a tracking pixel) and put arbitrary pictures on the page.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, normalizeReference
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from .anchors import split_explicit_anchor

__all__ = ["SAFE_URL_SCHEMES", "is_safe_url", "render_comment_html", "render_html"]

SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto", "ftp"})

_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")
# What a browser's URL parser ignores: C0 controls and spaces around the URL, tabs and newlines in it.
_URL_EDGE_JUNK = "".join(chr(code) for code in range(0x21))
_URL_INNER_JUNK_RE = re.compile(r"[\t\n\r]")


def is_safe_url(url: str) -> bool:
    """True for a relative URL or one whose scheme is in `SAFE_URL_SCHEMES`.

    markdown-it calls this with the URL already entity-decoded and normalised; the URL is cleaned
    the way a browser would before its scheme is read, so `` java\\tscript:`` is caught too.
    """
    cleaned = _URL_INNER_JUNK_RE.sub("", url).strip(_URL_EDGE_JUNK).lower()
    match = _SCHEME_RE.match(cleaned)
    return match is None or match.group(1) in SAFE_URL_SCHEMES


def render_html(
    markdown: str,
    *,
    references: Mapping[str, Any] | None = None,
    kind: str | None = None,
) -> str:
    """Safe HTML for a clause's source (or a whole document).

    `references`: link reference definitions by label, as in `Document.references` (a value may
    also be a bare URL string). `kind`: the clause's kind when known. A ``list_item`` is always
    dedented; with no kind, a source whose first line is an indented list marker is taken to be a
    nested item (pass the kind of an indented ``code`` clause that starts like a list marker).
    """
    if kind == "list_item" or (kind is None and _looks_like_indented_item(markdown)):
        markdown = _dedent_item(markdown)
    env: dict[str, Any] = {"references": _safe_references(references)}
    return _CLAUSE_CLEANER.clean(_CLAUSE_RENDERER.render(markdown, env))


def render_comment_html(markdown: str, *, references: Mapping[str, Any] | None = None) -> str:
    """Safe HTML for a user's comment: links get ``rel="nofollow ugc noopener"``, images become links."""
    env: dict[str, Any] = {"references": _safe_references(references)}
    return _COMMENT_CLEANER.clean(_COMMENT_RENDERER.render(markdown, env))


# --- markdown-it set-up ----------------------------------------------------------------------------


def _make_renderer(*, comment: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.enable(["table", "strikethrough"])
    md.use(front_matter_plugin)  # a version's front matter is metadata, not text to show
    md.use(footnote_plugin, inline=False, move_to_end=False, always_match_refs=True)
    md.validateLink = is_safe_url  # type: ignore[method-assign]
    md.core.ruler.after("block", "heading_anchor", _strip_heading_anchors)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("footnote_reference_open", _render_footnote_open)
    md.add_render_rule("footnote_reference_close", _render_footnote_close)
    if comment:
        md.add_render_rule("image", _render_image_as_link)
    return md


def _strip_heading_anchors(state: StateCore) -> None:
    """Drop `{#anchor}` from heading text before inline parsing: it is an address, not text."""
    tokens = state.tokens
    for index in range(1, len(tokens)):
        if tokens[index].type == "inline" and tokens[index - 1].type == "heading_open":
            tokens[index].content = split_explicit_anchor(tokens[index].content)[0]


def _footnote_id(label: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    return "fn-" + (slug or label.encode("utf-8", "surrogatepass").hex())


def _render_footnote_ref(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    label = tokens[idx].meta["label"]
    return f'<sup class="footnote-ref"><a href="#{_footnote_id(label)}">{escapeHtml(label)}</a></sup>'


def _render_footnote_open(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    label = tokens[idx].meta["label"]
    return (
        f'<div class="footnote" id="{_footnote_id(label)}">'
        f'<sup class="footnote-label">{escapeHtml(label)}</sup>\n'
    )


def _render_footnote_close(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return "</div>\n"


def _render_image_as_link(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    label = escapeHtml(alt or src or "image")
    return f'<a href="{escapeHtml(src)}">{label}</a>' if src else label


_CLAUSE_RENDERER = _make_renderer(comment=False)
_COMMENT_RENDERER = _make_renderer(comment=True)


def _safe_references(references: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """Reference definitions keyed the way markdown-it looks them up, unsafe URLs left out."""
    safe: dict[str, dict[str, str]] = {}
    for label, value in (references or {}).items():
        if isinstance(value, str):
            href, title = value, ""
        elif isinstance(value, Mapping):
            href, title = str(value.get("href", "")), str(value.get("title", "") or "")
        else:
            continue
        key = normalizeReference(str(label))
        if key and is_safe_url(href):
            safe.setdefault(key, {"href": href, "title": title})
    return safe


# --- second line of defence ------------------------------------------------------------------------

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre",
    "code", "em", "strong", "s", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "div", "sup",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    "code": {"class"},
    "div": {"class", "id"},
    "sup": {"class"},
}
_LANGUAGE_CLASS_RE = re.compile(r"language-[A-Za-z0-9_+#.\-]{1,64}")
_OUR_CLASSES = {"div": {"footnote"}, "sup": {"footnote-ref", "footnote-label"}}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        if tag == "code":
            return value if _LANGUAGE_CLASS_RE.fullmatch(value) else None
        return value if value in _OUR_CLASSES.get(tag, ()) else None
    if attribute == "id":
        return value if value.startswith("fn-") else None
    return value


def _cleaner(link_rel: str) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=set(SAFE_URL_SCHEMES),
        link_rel=link_rel,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


_CLAUSE_CLEANER = _cleaner("noopener noreferrer")
_COMMENT_CLEANER = _cleaner("nofollow ugc noopener")


# --- nested list items ------------------------------------------------------------------------------

# The lines as markdown-it counts them (markdown.split_lines, not imported: markdown imports this module).
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_ITEM_MARKER_RE = re.compile(r"([ \t]*)((?:[-+*]|[0-9]{1,9}[.)]))([ \t]*)")


def _looks_like_indented_item(markdown: str) -> bool:
    match = _ITEM_MARKER_RE.match(markdown)
    if match is None or not match.group(1):
        return False
    rest = markdown[match.end(2):]
    return rest == "" or rest[0] in " \t\r\n"


def _dedent_item(markdown: str) -> str:
    """Remove the first line's indentation (in columns, tabs to stops of 4) from every line."""
    lines = _LINE_RE.findall(markdown)
    if not lines:
        return markdown
    first = _ITEM_MARKER_RE.match(lines[0])
    if first is None:
        return markdown
    cut = _columns(first.group(1), 0)
    if cut == 0:
        return markdown
    # The whitespace after the marker decides where the item's content starts; written out as
    # spaces it keeps its width once the line has moved left.
    marker_end = _columns(first.group(1), 0) + len(first.group(2))
    gap = " " * (_columns(first.group(3), marker_end) - marker_end)
    out = [first.group(2) + gap + lines[0][first.end():]]
    for line in lines[1:]:
        indent = len(line) - len(line.lstrip(" \t"))
        width = _columns(line[:indent], 0)
        out.append(" " * max(width - cut, 0) + line[indent:])
    return "".join(out)


def _columns(whitespace: str, start: int) -> int:
    """The column reached after `whitespace` written from column `start`."""
    column = start
    for char in whitespace:
        column += 4 - column % 4 if char == "\t" else 1
    return column
