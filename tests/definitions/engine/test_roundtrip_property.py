"""Property tests: `render(parse(s)) == s` for any string, and clause boundaries that make sense;
plus, when the shared corpus of real drafting histories is present, every file in it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from definitions.engine.anchors import assign_anchors
from definitions.engine.html import render_html
from definitions.engine.markdown import parse, render

from .test_markdown import assert_lossless

CORPUS = Path(os.environ.get("WORKBENCH_CORPUS", "/work/shared/corpus"))

# Pieces of Markdown that authors of definitions write, and the odd characters they paste.
FRAGMENTS = [
    "# ", "## ", "### ", "Title", " {#anchor}", " ##", "===", "---", "***", "- ", "* ", "+ ", "1. ", "2) ",
    "  ", "    ", "\t", "> ", "> > ", "```", "~~~", "```python", "| a | b |", "|---|:-:|", "| 1 | 2 |",
    "[ref]: https://example.org/r", "[ref]", "[text](/url)", "[^1]", "[^1]: ", "<div>", "</div>", "<!--", "-->",
    "text", "more words", "*em*", "**strong**", "`code`", "\\", "[", "]", "<", ">", "&amp;", "---\n", "a: 1\n",
    "\n", "\n", "\n", "\n\n", "\r\n", "\r", "\x00", "\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\ufeff", "é", "🦉",
]
MARKDOWNISH = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=60).map("".join)


def _check(source: str) -> None:
    doc = parse(source)
    assert_lossless(doc, source)
    anchors = assign_anchors(doc)
    assert len({anchor.casefold() for anchor in anchors}) == len(anchors)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWNISH)
def test_markdownish_text_round_trips(source):
    _check(source)


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_any_text_round_trips(source):
    _check(source)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWNISH)
def test_a_top_level_clause_read_alone_is_the_same_kind_of_block(source):
    """The clause boundaries follow markdown-it's blocks: cut out, a clause is still what it was."""
    doc = parse(source)
    for clause in doc.clauses:
        nested_item = clause.parent is not None and doc.clauses[clause.parent].kind == "list_item"
        if nested_item or len(clause.spans) > 1:
            continue
        alone = parse(clause.source)
        if alone.front_matter_source is not None:
            continue  # `---` on a first line opens front matter only at the top of a document
        assert [c.kind for c in alone.clauses][:1] == [clause.kind], clause


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWNISH)
def test_every_clause_renders_to_html(source):
    doc = parse(source)
    for clause in doc.clauses:
        assert isinstance(render_html(clause.source, references=doc.references, kind=clause.kind), str)


def _corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.md")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus of drafting histories at {CORPUS}")
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda path: str(path.relative_to(CORPUS)))
def test_corpus_documents_round_trip(path):
    source = path.read_bytes().decode("utf-8", errors="surrogateescape")
    doc = parse(source)
    assert_lossless(doc, source)
    assert doc.clauses, "a real definition has clauses"
    assert render(doc) == source
