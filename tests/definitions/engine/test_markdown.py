"""Markdown to clauses and back: clause kinds, own sources, parents, heading paths, front matter,
references, and the byte-for-byte round trip on awkward documents."""
from __future__ import annotations

import dataclasses
import hashlib

import pytest

from definitions.engine.markdown import CLAUSE_KINDS, Document, parse, render, split_lines

DRAFT = """\
---
title: Open Widget Definition
version: "0.3"
---
# Open Widget Definition {#owd}

A widget is open when anyone may use, study, change and share it.

## Freedoms

Anyone may:

- **Use** the widget for any purpose.
- **Study** how it works.
  - Including its [design files][design].
  - And its test suite.
- **Share** it.

| Part | Required |
|------|----------|
| Design files | Yes |

> A quoted remark
> over two lines.

```text
fenced code
```

    indented code

<div class="note">Raw HTML block</div>

***

[design]: https://example.org/design "Design"

### Fine print

Footnoted text.[^why]

[^why]: Because widgets matter.
"""


def assert_lossless(doc: Document, source: str) -> None:
    """The pieces partition the lines in order, each clause is the join of its own pieces, and
    rendering rebuilds the source from them (not from `doc.source`)."""
    assert render(doc) == source
    assert render(dataclasses.replace(doc, source="")) == source
    next_line = 0
    for piece in doc.pieces:
        assert piece.start_line == next_line < piece.end_line
        assert piece.text == "".join(split_lines(source)[piece.start_line : piece.end_line])
        next_line = piece.end_line
    assert next_line == len(split_lines(source))
    for clause in doc.clauses:
        assert clause.kind in CLAUSE_KINDS
        own = [piece for piece in doc.pieces if piece.clause == clause.index]
        assert "".join(piece.text for piece in own) == clause.source
        assert clause.spans == tuple((piece.start_line, piece.end_line) for piece in own)
        assert (clause.start_line, clause.end_line) == (clause.spans[0][0], clause.spans[-1][1])
        assert clause.hash == hashlib.sha256(clause.source.encode("utf-8", "surrogatepass")).hexdigest()
        assert clause.kind == "code" or clause.source.strip(" \t\r\n"), "a clause is never blank"
        if clause.parent is not None:
            assert clause.parent < clause.index
            assert clause.depth == doc.clauses[clause.parent].depth + 1
        else:
            assert clause.depth == 0
    assert [clause.index for clause in doc.clauses] == list(range(len(doc.clauses)))


@pytest.fixture(scope="module")
def draft() -> Document:
    return parse(DRAFT)


def test_draft_is_split_into_one_clause_per_block_in_document_order(draft):
    assert [(c.kind, c.source.splitlines()[0]) for c in draft.clauses] == [
        ("heading", "# Open Widget Definition {#owd}"),
        ("paragraph", "A widget is open when anyone may use, study, change and share it."),
        ("heading", "## Freedoms"),
        ("paragraph", "Anyone may:"),
        ("list_item", "- **Use** the widget for any purpose."),
        ("list_item", "- **Study** how it works."),
        ("list_item", "  - Including its [design files][design]."),
        ("list_item", "  - And its test suite."),
        ("list_item", "- **Share** it."),
        ("table", "| Part | Required |"),
        ("blockquote", "> A quoted remark"),
        ("code", "```text"),
        ("code", "    indented code"),
        ("html", '<div class="note">Raw HTML block</div>'),
        ("heading", "### Fine print"),
        ("paragraph", "Footnoted text.[^why]"),
        ("footnote", "[^why]: Because widgets matter."),
    ]
    assert_lossless(draft, DRAFT)


def test_multi_line_blocks_keep_all_their_lines(draft):
    by_start = {c.source.splitlines()[0]: c for c in draft.clauses}
    assert by_start["| Part | Required |"].source == "| Part | Required |\n|------|----------|\n| Design files | Yes |\n"
    assert by_start["> A quoted remark"].source == "> A quoted remark\n> over two lines.\n"
    assert by_start["```text"].source == "```text\nfenced code\n```\n"


def test_front_matter_reference_definitions_and_thematic_breaks_are_gaps(draft):
    gaps = "".join(piece.text for piece in draft.gaps())
    assert draft.front_matter == {"title": "Open Widget Definition", "version": "0.3"}
    assert draft.front_matter_source == '---\ntitle: Open Widget Definition\nversion: "0.3"\n---\n'
    assert draft.front_matter_source in gaps
    assert "***\n" in gaps
    assert '[design]: https://example.org/design "Design"\n' in gaps
    assert not any("[design]:" in c.source or "***" in c.source for c in draft.clauses)


def test_link_reference_definitions_are_collected_by_normalised_label(draft):
    assert draft.references == {"DESIGN": {"href": "https://example.org/design", "title": "Design"}}


def test_headings_nest_by_level_and_own_their_sections(draft):
    clauses = draft.clauses
    title, freedoms, fine_print = (c for c in clauses if c.kind == "heading")
    assert (title.parent, freedoms.parent, fine_print.parent) == (None, title.index, freedoms.index)
    assert (title.depth, freedoms.depth, fine_print.depth) == (0, 1, 2)
    assert clauses[1].parent == title.index
    assert all(c.parent == freedoms.index for c in clauses[3:6] + clauses[8:14])
    assert clauses[15].parent == fine_print.index and clauses[16].parent == fine_print.index


def test_nested_list_items_are_children_of_their_item_and_not_part_of_its_source(draft):
    study, including, and_its = draft.clauses[5:8]
    assert study.source == "- **Study** how it works.\n"
    assert including.parent == study.index and and_its.parent == study.index
    assert including.depth == study.depth + 1
    assert including.source == "  - Including its [design files][design].\n"


def test_heading_path_is_the_plain_text_of_enclosing_headings(draft):
    clauses = draft.clauses
    assert clauses[0].heading_path == ("Open Widget Definition",)
    assert clauses[6].heading_path == ("Open Widget Definition", "Freedoms")
    assert clauses[14].heading_path == ("Open Widget Definition", "Freedoms", "Fine print")
    assert clauses[16].heading_path == ("Open Widget Definition", "Freedoms", "Fine print")


def test_heading_path_drops_inline_markup_and_resolves_references():
    doc = parse("# The *open* `widget` [rules][r] ![logo](x.png) {#rules}\n\n[r]: /rules\n")
    assert doc.clauses[0].heading_path == ("The open widget rules logo",)
    assert doc.clauses[0].heading_text == "The open widget rules logo"


def test_explicit_anchor_is_read_from_the_end_of_a_heading_only(draft):
    assert draft.clauses[0].explicit_anchor == "owd"
    assert [c.explicit_anchor for c in draft.clauses[1:]] == [None] * (len(draft.clauses) - 1)
    assert parse("## Scope {#scope} ##\n").clauses[0].explicit_anchor == "scope"
    assert parse("Scope {#scope}\n=====\n").clauses[0].explicit_anchor == "scope"
    assert parse("## Use {#a} and {#b}\n").clauses[0].explicit_anchor == "b"
    assert parse("## Braces {#not an anchor}\n").clauses[0].explicit_anchor is None
    assert parse("Paragraph {#p}\n").clauses[0].explicit_anchor is None


def test_setext_heading_owns_both_lines():
    doc = parse("Scope\n-----\n\nText.\n")
    assert doc.clauses[0].kind == "heading" and doc.clauses[0].source == "Scope\n-----\n"
    assert doc.clauses[1].heading_path == ("Scope",)


def test_lazy_continuation_lines_belong_to_their_block():
    doc = parse("> quoted\nlazy\n\n- item\nlazy too\n\npara\nline two\n")
    assert [c.source for c in doc.clauses] == ["> quoted\nlazy\n", "- item\nlazy too\n", "para\nline two\n"]


def test_loose_list_items_leave_blank_lines_to_the_gaps():
    doc = parse("- one\n\n- two\n\n\n- three\n")
    assert [c.source for c in doc.clauses] == ["- one\n", "- two\n", "- three\n"]
    assert [c.hash for c in doc.clauses] == [c.hash for c in parse("- one\n- two\n- three\n").clauses]


def test_item_text_after_its_nested_items_stays_with_the_item():
    source = "- parent\n  - child\n\n  parent's second paragraph\n- next\n"
    doc = parse(source)
    parent, child, following = doc.clauses
    assert parent.source == "- parent\n  parent's second paragraph\n"
    assert parent.spans == ((0, 1), (3, 4))
    assert child.source == "  - child\n" and child.parent == parent.index
    assert following.parent is None
    assert_lossless(doc, source)


def test_item_nested_on_its_parents_first_line_stays_in_the_parent():
    doc = parse("- - inner\n  - sibling\n")
    assert [c.source for c in doc.clauses] == ["- - inner\n", "  - sibling\n"]
    assert doc.clauses[1].parent == 0


def test_blocks_inside_list_items_and_quotes_are_not_clauses():
    doc = parse("- item\n\n  > quote in item\n\n      code in item\n\n> - list in quote\n> - more\n")
    assert [c.kind for c in doc.clauses] == ["list_item", "blockquote"]


def test_footnote_definitions_are_clauses_where_they_are_written():
    doc = parse("Text[^a].\n\n[^a]: First note,\n    continued.\n\nMore text.\n")
    assert [c.kind for c in doc.clauses] == ["paragraph", "footnote", "paragraph"]
    assert doc.clauses[1].source == "[^a]: First note,\n    continued.\n"


def test_matching_text_folds_whitespace_that_does_not_change_the_rendering():
    reflowed = parse("One two\nthree   four.\n").clauses[0]
    assert reflowed.text == parse("One two three four.\n").clauses[0].text == "One two three four."
    assert parse("## Scope {#scope}\n").clauses[0].text == "## Scope"
    assert parse("3. Item\n").clauses[0].text == parse("- Item\n").clauses[0].text == "Item"
    code = parse("```\na  b\r\n  c   \n```\n").clauses[0]
    assert code.text == "```\na  b\n  c\n```"


def test_front_matter_that_is_not_a_mapping_or_not_yaml_is_none_but_kept_in_the_source():
    for source in ("---\n- a list\n---\nText\n", "---\nkey: [unclosed\n---\nText\n", "---\nd: 2024-13-45\n---\n"):
        doc = parse(source)
        assert doc.front_matter is None
        assert doc.front_matter_source is not None and render(doc) == source


def test_front_matter_with_yaml_aliases_is_refused():
    doc = parse("---\na: &x [1, 2]\nb: *x\n---\nText\n")
    assert doc.front_matter is None and doc.front_matter_source == "---\na: &x [1, 2]\nb: *x\n---\n"


def test_a_document_without_front_matter_has_none():
    doc = parse("# Title\n\n---\n")
    assert doc.front_matter is None and doc.front_matter_source is None


def test_split_lines_breaks_only_where_markdown_it_does():
    assert split_lines("a\r\nb\rc\nd") == ["a\r\n", "b\r", "c\n", "d"]
    assert split_lines("x\u2028y\x0bz\x0c\x85\n") == ["x\u2028y\x0bz\x0c\x85\n"]
    assert split_lines("") == [] and split_lines("\n\n") == ["\n", "\n"]


# Documents written to be awkward; each must come back byte for byte.
AWKWARD = {
    "empty": "",
    "one-newline": "\n",
    "blank-lines-only": "\n  \n\t\n\n",
    "no-final-newline": "# Title\n\nThe last paragraph has no newline",
    "crlf": "# Title\r\n\r\n- one\r\n- two\r\n  - nested\r\n\r\nText\r\n",
    "lone-cr": "# Title\r\rFirst paragraph\rstill first\r\r- item\r- item two",
    "mixed-line-endings": "a\r\nb\rc\n\r\n\rd",
    "tabs": "-\tone\n\t-\tnested\n\n\tindented code\n\n|\ta\t|\tb\t|\n|-|-|\n",
    "nul-characters": "Para with \x00 NUL\n\n# \x00 heading\n\n- \x00\n",
    "unicode-line-separators": "First\u2028still first\x0bstill\x0c\x1c\x1d\x1e\x85\u2029end\n\n- item\u2028x\n",
    "nested-and-loose-lists": (
        "1. one\n\n   a second paragraph\n\n   - nested\n\n     * deeper\n2. two\n\n\n- new list\n+ other marker\n"
    ),
    "lazy-continuation": "> quoted\nlazy line\n> back\n\n- item\nlazy item line\n\n    - code, not a list\n",
    "far-reference-definitions": (
        "See [the charter][charter] and [Other].\n\n# Much later\n\nText.\n\n"
        "[charter]: https://example.org/charter \"The charter\"\n[other]: </a path>\n  'title on its own line'\n"
    ),
    "html-blocks": (
        "<div class=\"note\">\n\n*markdown inside*\n\n</div>\n\n<!-- a comment\nover lines -->\n\n"
        "<script>\nalert(1)\n</script>\n"
    ),
    "indented-code": "Para\n\n    code line 1\n\n\n    code line 2\n\nAfter\n",
    "fenced-code": "```python\nx = 1\n\n\n```\n\n~~~~\nunclosed fence to the end\n\n\n",
    "setext-headings": "Title\n=====\n\nTwo-line\nsub title\n---\n\nText\n",
    "tables": "| a | b |\n|:--|--:|\n| 1 | 2 |\n| 3 |\ncontinuation row\n\nafter\n",
    "footnotes": "Text[^note].\n\n[^note]: The note,\n    continued.\n\n    Second paragraph.\n\n[^empty]:\n",
    "front-matter": "---\ntitle: T\nlist: [1, 2]\n---\n# T\n",
    "front-matter-only": "---\na: 1\n---",
    "unclosed-front-matter": "---\na: 1\n\n# Heading\n",
    "thematic-breaks": "a\n\n***\n\n- - -\n\n___\nb\n---\n",
    "byte-order-mark": "\ufeff# Title\n\ntext\n",
    "deep-nesting": "".join("  " * level + f"- level {level}\n" for level in range(40)),
    "deep-quotes": "> " * 60 + "deep\n",
    "heading-closing-sequence": "## Title {#t} ##\n#\n# #\n",
    "empty-list-items": "-\n- \n1.\n*\n\n  text\n",
    "hard-breaks": "a  \r\nb\\\r\nc",
    "whitespace-only-last-line": "text\n   ",
    "link-definition-in-list": "- [x]: /in-list\n- [x]\n",
    "non-bmp-and-combining": "# Ｔｉｔｌｅ 🦉\n\ne\u0301 \U0001f600\n",
}


@pytest.mark.parametrize("source", AWKWARD.values(), ids=AWKWARD.keys())
def test_awkward_documents_round_trip_byte_for_byte(source):
    assert_lossless(parse(source), source)


def test_empty_document_has_no_clauses_and_no_pieces():
    doc = parse("")
    assert doc.clauses == () and doc.pieces == () and render(doc) == ""


def test_parsing_is_deterministic():
    assert parse(DRAFT) == parse(DRAFT)
