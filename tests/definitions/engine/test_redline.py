"""Renderings of one diff: JSON, CriticMarkup Markdown, and escaped HTML fragments."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from definitions.engine import redline
from definitions.engine.align import ClauseRef
from definitions.engine.diff import VersionDiff, diff_suggestion, diff_versions

ZWSP = "\u200b"
TITLE = "## Open model\n"
USE = "Anyone may use the model for any purpose.\n"
STUDY = "Anyone may study how the model was trained.\n"
SHARE = "Anyone may share the model, changed or not.\n"
GONE = "This paragraph is dropped.\n"


ANCHORS = {TITLE: "open", USE: "use", STUDY: "study", SHARE: "share", GONE: "dropped"}


def sample() -> VersionDiff:
    """Share moved to the top and edited, Study edited, a paragraph dropped."""
    old = [ClauseRef(ANCHORS[text], text) for text in (TITLE, USE, STUDY, GONE, SHARE)]
    new = [
        ClauseRef("open", TITLE),
        ClauseRef("share", SHARE.replace("changed or not", "in any form")),
        ClauseRef("use", USE),
        ClauseRef("study", STUDY.replace("trained", "built")),
    ]
    return diff_versions(old, new, from_label="0.1", to_label="0.2")


def one_clause(old: str, new: str, anchor: str = "a") -> VersionDiff:
    return diff_versions([ClauseRef(anchor, old)], [ClauseRef(anchor, new)], from_label="1", to_label="2")


class _Elements(HTMLParser):
    """The start tags of an HTML fragment, with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(fragment: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(fragment)
    return parser.tags


def clause_elements(fragment: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in elements(fragment) if "wb-diff-clause" in (attrs.get("class") or "").split()]


# -- JSON -----------------------------------------------------------------------------------------


def test_json_is_the_dict_form_with_text_unescaped():
    result = one_clause("Données — 数据\n", "Métadonnées — 数据\n")
    text = redline.to_json(result)
    assert json.loads(text) == result.to_dict()
    assert "数据" in text and "\\u" not in text


# -- Markdown -------------------------------------------------------------------------------------


def test_markdown_marks_substitutions_insertions_and_deletions():
    markdown = redline.to_markdown(sample(), header=False)
    assert "{~~changed or not~>in any form~~}" in markdown
    assert "{~~trained~>built~~}" in markdown
    assert "{--This paragraph is dropped.--}" in markdown
    assert markdown.startswith(TITLE)  # an unchanged clause as it is


def test_markdown_notes_a_moved_clause_in_a_comment_before_it():
    markdown = redline.to_markdown(sample(), header=False)
    assert "{>>moved from §share<<}\n\nAnyone may share the model, {~~" in markdown


def test_markdown_header_counts_the_changes():
    first_line = redline.to_markdown(sample()).splitlines()[0]
    assert first_line == "{>>Redline from 0.1 to 0.2: 1 modified, 0 added, 1 removed, 1 moved, 2 unchanged<<}"


def test_markdown_with_only_changes_counts_what_it_leaves_out():
    markdown = redline.to_markdown(sample(), only_changes=True, header=False)
    assert TITLE not in markdown and USE not in markdown
    assert markdown.startswith("{>>1 unchanged clause<<}\n\n{>>moved from §share<<}")
    assert "{>>1 unchanged clause<<}\n\nAnyone may study" in markdown


def test_markdown_markup_spans_lines_but_not_paragraphs():
    result = one_clause("- one\n", "- one\n  two\n  three\n")
    assert redline.to_markdown(result, header=False) == "- one\n{++  two\n  three++}\n"
    result = one_clause("> one\n", "> one\n>\n> two\n")
    assert redline.to_markdown(result, header=False) == "> one\n{++>\n> two++}\n"
    result = diff_versions([], [ClauseRef("c", "```\nfirst\n\nsecond\n```\n")], from_label="1", to_label="2")
    assert redline.to_markdown(result, header=False) == "{++```\nfirst++}\n\n{++second\n```++}\n"


def test_markdown_notes_a_whitespace_only_change():
    result = one_clause("a b c\n", "a b\nc\n")
    assert redline.to_markdown(result, header=False).startswith("{>>whitespace only<<}\n\na b")


def test_markdown_notes_splits_and_merges():
    first = "Model parameters shall be made available under terms approved by the Open Source Initiative."
    second = "Weights that cannot be shared may be described in detail instead."
    whole = [ClauseRef("p", f"{first} {second}\n")]
    parts = [ClauseRef("p", f"{first}\n"), ClauseRef("w", f"{second}\n")]
    split = diff_versions(whole, parts, from_label="1", to_label="2")
    assert "{>>split from §p<<}\n\n{++Weights" in redline.to_markdown(split, header=False)
    merged = diff_versions(parts, whole, from_label="1", to_label="2")
    markdown = redline.to_markdown(merged, header=False)
    assert "{>>merged with §w<<}" in markdown and "{>>merged into §p<<}" in markdown


def test_document_text_that_looks_like_criticmarkup_is_defused():
    tricky = "Write {++this++}, {--that--}, {~~a~>b~~}, {>>note<<} and {==mark==} literally.\n"
    escaped = redline.critic_escape(tricky)
    assert escaped.replace(ZWSP, "") == tricky
    for delimiter in ("{++", "++}", "{--", "--}", "{~~", "~~}", "~>", "{>>", "<<}", "{==", "==}"):
        assert delimiter not in escaped
    result = one_clause(tricky, tricky.replace("literally", "as text"))
    markdown = redline.to_markdown(result, header=False)
    # The only real markup left is the one change.
    assert re.findall(r"\{~~.*?~~\}|\{\+\+.*?\+\+\}|\{--.*?--\}", markdown) == ["{~~literally~>as text~~}"]


# -- HTML -----------------------------------------------------------------------------------------


def test_html_is_a_fragment_with_one_wrapper_per_clause():
    fragment = redline.to_html(sample())
    assert not re.search(r"<(html|body|head)\b", fragment)
    root = elements(fragment)[0]
    assert root == (
        "div", {"class": "wb-diff wb-diff-inline", "data-from": "0.1", "data-to": "0.2", "data-layout": "inline"}
    )
    clauses = clause_elements(fragment)
    assert [(c["data-op"], c["data-from-anchor"], c["data-to-anchor"]) for c in clauses] == [
        ("equal", "open", "open"), ("moved", "share", "share"), ("equal", "use", "use"),
        ("modified", "study", "study"), ("removed", "dropped", ""),
    ]
    assert clauses[1]["class"] == "wb-diff-clause wb-op-moved"


def test_html_marks_words_with_ins_and_del_and_labels_moves():
    fragment = redline.to_html(sample())
    assert "<del>trained</del><ins>built</ins>" in fragment
    assert '<span class="wb-diff-label">moved from §share and edited</span>' in fragment
    assert "<del>This paragraph is dropped.\n</del>" in fragment


def test_html_escapes_everything_from_the_documents():
    hostile = '<script>alert("x")</script> & <b onclick="steal()">bold</b>\n'
    old = [ClauseRef('"><img src=x onerror=alert(1)>', hostile)]
    new = [ClauseRef('"><img src=x onerror=alert(1)>', hostile.replace("bold", "<i>bolder</i>"))]
    fragment = redline.to_html(
        diff_versions(old, new, from_label="<v1>", to_label='"v2"'), from_href='/d/"x"/', to_href="/d/<y>/"
    )
    assert "<script>" not in fragment and "<img" not in fragment and "<b " not in fragment and "<i>" not in fragment
    assert "&lt;script&gt;" in fragment and "&amp;" in fragment
    assert {tag for tag, _ in elements(fragment)} <= {"div", "span", "a", "ins", "del"}
    assert elements(fragment)[0][1]["data-from"] == "<v1>"  # the attribute round-trips as text


def test_side_by_side_puts_deletions_left_and_insertions_right():
    fragment = redline.to_html(sample(), layout="side_by_side")
    assert 'class="wb-diff wb-diff-side-by-side"' in fragment
    old_column = re.search(r'data-from-anchor="study".*?<div class="wb-diff-old">(.*?)</div>', fragment, re.S).group(1)
    new_column = re.search(r'data-from-anchor="study".*?<div class="wb-diff-new">(.*?)</div>', fragment, re.S).group(1)
    assert "<del>trained</del>" in old_column and "<ins>" not in old_column
    assert "<ins>built</ins>" in new_column and "<del>" not in new_column
    removed_new_column = re.search(r'data-op="removed".*?<div class="(wb-diff-new[^"]*)">', fragment, re.S).group(1)
    assert removed_new_column == "wb-diff-new wb-diff-blank"


def test_html_only_changes_replaces_unchanged_runs_with_a_count():
    fragment = redline.to_html(sample(), only_changes=True)
    assert [c["data-op"] for c in clause_elements(fragment)] == ["moved", "modified", "removed"]
    skips = [attrs["data-count"] for tag, attrs in elements(fragment) if attrs.get("class") == "wb-diff-skip"]
    assert skips == ["1", "1"]


def test_html_says_so_when_there_is_nothing_to_show():
    same = [ClauseRef("open", TITLE), ClauseRef("use", USE)]
    unchanged = diff_versions(same, same, from_label="1", to_label="1")
    assert '<p class="wb-diff-empty">No changes.</p>' in redline.to_html(unchanged, only_changes=True)
    nothing = diff_versions([], [], from_label="1", to_label="2")
    assert '<p class="wb-diff-empty">No clauses.</p>' in redline.to_html(nothing)


def test_html_links_each_clause_to_both_versions_when_asked():
    fragment = redline.to_html(sample(), from_href="/definitions/x/0.1/", to_href="/definitions/x/0.2/")
    assert '<a href="/definitions/x/0.1/#study">§ old</a>' in fragment
    assert '<a href="/definitions/x/0.2/#study">§ new</a>' in fragment


def test_whitespace_only_changes_are_classed_for_styling():
    result = one_clause("a b c\n", "a b\nc\n")
    fragment = redline.to_html(result)
    assert 'class="wb-diff-clause wb-op-modified wb-whitespace-only"' in fragment
    assert '<del class="wb-ws"> </del><ins class="wb-ws">\n</ins>' in fragment
    assert "whitespace only" in fragment


def test_an_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="layout"):
        redline.to_html(sample(), layout="columns")  # type: ignore[arg-type]


def test_a_suggestion_renders_with_the_same_word_html():
    words = diff_suggestion("Use the <model>.", "Use the <system>.").words
    assert redline.words_to_html(words) == "Use the &lt;<del>model</del><ins>system</ins>&gt;."
    assert redline.words_to_html(words, side="new") == "Use the &lt;<ins>system</ins>&gt;."
