"""Clause anchors: explicit, inherited and derived; unique, stable, URL-safe, never recycled."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from definitions.engine.anchors import assign_anchors, slugify, split_explicit_anchor
from definitions.engine.markdown import parse

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

DRAFT = """\
# What is an open widget

A widget is open when anyone may use it.

- Use it.
- Study it.
  - Including its design.
- Share it.

## Preferred form to make modifications {#preferred-form}

The form a maker would use.

The form includes the design files.

| Part | Required |
|------|----------|
| Design | Yes |

## Preferred form to make modifications

A second section with the same title.
"""


def anchors_by_source(markdown: str, **kwargs) -> dict[str, str]:
    doc = parse(markdown)
    anchors = assign_anchors(doc, **kwargs)
    return {clause.source.splitlines()[0]: anchor for clause, anchor in zip(doc.clauses, anchors, strict=True)}


def test_slugify_makes_short_lowercase_ascii_slugs():
    assert slugify("What is Open Source AI?") == "what-is-open-source-ai"
    assert slugify("  Définition   d'un «modèle» ouvert ") == "definition-dun-modele-ouvert"
    assert slugify("What's open") == "whats-open"
    assert slugify("1.0 — Release Candidate") == "1-0-release-candidate"
    assert slugify("开放") == "section"
    assert slugify("!!!", fallback="x") == "x"
    long = slugify("preferred form to make modifications to machine learning systems and their parts")
    assert len(long) <= 50 and SLUG_RE.fullmatch(long) and not long.endswith("-")


def test_split_explicit_anchor():
    assert split_explicit_anchor("Scope {#scope}") == ("Scope", "scope")
    assert split_explicit_anchor("Scope{#scope}  ") == ("Scope", "scope")
    assert split_explicit_anchor("Scope {#a b}") == ("Scope {#a b}", None)
    assert split_explicit_anchor("Scope") == ("Scope", None)


def test_derived_anchors_name_the_section_kind_and_position():
    anchors = anchors_by_source(DRAFT)
    assert anchors == {
        "# What is an open widget": "what-is-an-open-widget",
        "A widget is open when anyone may use it.": "what-is-an-open-widget-p1",
        "- Use it.": "what-is-an-open-widget-li1",
        "- Study it.": "what-is-an-open-widget-li2",
        "  - Including its design.": "what-is-an-open-widget-li3",
        "- Share it.": "what-is-an-open-widget-li4",
        "## Preferred form to make modifications {#preferred-form}": "preferred-form",
        "The form a maker would use.": "preferred-form-p1",
        "The form includes the design files.": "preferred-form-p2",
        "| Part | Required |": "preferred-form-table1",
        "## Preferred form to make modifications": "preferred-form-to-make-modifications",
        "A second section with the same title.": "preferred-form-to-make-modifications-p1",
    }


def test_repeated_headings_get_unique_anchors_with_a_suffix():
    doc = parse("# Scope\n\nA.\n\n# Scope\n\nB.\n\n# Scope\n")
    assert assign_anchors(doc) == ["scope", "scope-p1", "scope-2", "scope-2-p1", "scope-3"]


def test_clauses_before_the_first_heading_and_headings_without_ascii_get_readable_anchors():
    doc = parse("Intro.\n\n- item\n\n# 开放\n\nText.\n\n# 定义\n")
    assert assign_anchors(doc) == ["p1", "li1", "section", "section-p1", "section-2"]


def test_explicit_anchor_wins_over_a_derived_one_that_would_collide():
    # The first heading's derived slug is taken by the explicit anchor written later.
    doc = parse("# Scope\n\n# Other {#scope}\n")
    assert assign_anchors(doc) == ["scope-2", "scope"]


def test_duplicate_explicit_anchors_keep_the_first_and_suffix_the_rest():
    doc = parse("# A {#same}\n\n# B {#same}\n")
    assert assign_anchors(doc) == ["same", "same-2"]


def test_anchors_are_unique_case_insensitively():
    doc = parse("# X {#Scope}\n\n# Scope\n")
    assert assign_anchors(doc) == ["Scope", "scope-2"]


def test_derived_anchors_of_a_section_with_an_unusual_explicit_anchor_stay_slugs():
    doc = parse("# X {#Fine_Print.v2}\n\nText.\n")
    assert assign_anchors(doc) == ["Fine_Print.v2", "fine-print-v2-p1"]


def test_same_document_gets_the_same_anchors():
    assert assign_anchors(parse(DRAFT)) == assign_anchors(parse(DRAFT))


def test_inherited_anchors_are_kept():
    new = parse("# Title\n\nInserted paragraph.\n\nOld paragraph, reworded.\n")
    anchors = assign_anchors(new, inherited={0: "title", 2: "title-p1"}, previous_anchors={"title", "title-p1"})
    # The new paragraph cannot take title-p1 (inherited by the reworded one) and gets a suffix.
    assert anchors == ["title", "title-p1-2", "title-p1"]


def test_explicit_anchor_beats_an_inherited_one_and_the_inheritor_gets_a_fresh_anchor():
    new = parse("# Scope {#scope}\n\n# Purpose\n")
    anchors = assign_anchors(new, inherited={1: "scope"}, previous_anchors={"scope"})
    assert anchors == ["scope", "purpose"]


def test_a_heading_inheriting_an_old_anchor_lends_it_to_its_section():
    new = parse("# Renamed title\n\nText.\n")
    anchors = assign_anchors(new, inherited={0: "old-title"}, previous_anchors={"old-title"})
    assert anchors == ["old-title", "old-title-p1"]


def test_an_anchor_inherited_twice_goes_to_the_first_clause_only():
    new = parse("# T\n\nFirst half.\n\nSecond half.\n")
    anchors = assign_anchors(new, inherited={0: "t", 1: "t-p1", 2: "t-p1"}, previous_anchors={"t", "t-p1"})
    assert anchors == ["t", "t-p1", "t-p2"]


def test_a_removed_clauses_anchor_is_not_recycled_for_a_new_clause():
    # Previous version: "# T", "t-p1" (removed now), "t-p2" (kept, now the first paragraph).
    new = parse("# T\n\nKept paragraph.\n\nBrand new paragraph.\n")
    anchors = assign_anchors(new, inherited={0: "t", 1: "t-p2"}, previous_anchors={"t", "t-p1", "t-p2"})
    assert anchors == ["t", "t-p2", "t-p2-2"]
    assert "t-p1" not in anchors


def test_inheritance_ignores_none_and_out_of_range_indices():
    new = parse("# T\n")
    assert assign_anchors(new, inherited={0: None, 5: "ghost"}, previous_anchors={"ghost"}) == ["t"]


def test_explicit_anchor_may_reuse_an_anchor_of_the_previous_version():
    new = parse("# Renamed {#old}\n")
    assert assign_anchors(new, inherited={}, previous_anchors={"old"}) == ["old"]


MARKDOWNISH = st.lists(
    st.sampled_from(["# ", "## ", "### ", "- ", "  - ", "1. ", "> ", "| a |\n|---|\n", "Text", "Scope", "开放",
                     " {#scope}", " {#x}", "\n", "\n\n", "[^1]: n", "```\n", "<div>", "    code"]),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(MARKDOWNISH, st.dictionaries(st.integers(0, 30), st.sampled_from(["scope", "x", "old-p1", "t"]), max_size=5))
def test_anchors_are_unique_and_derived_ones_are_slugs(markdown, inherited):
    doc = parse(markdown)
    previous = {"scope", "x", "old-p1", "t", "removed"}
    anchors = assign_anchors(doc, inherited=inherited, previous_anchors=previous)
    assert len(anchors) == len(doc.clauses)
    assert len({anchor.casefold() for anchor in anchors}) == len(anchors)
    for clause, anchor in zip(doc.clauses, anchors, strict=True):
        if clause.explicit_anchor is None:
            assert SLUG_RE.fullmatch(anchor), anchor
            if anchor != inherited.get(clause.index):
                assert anchor not in previous, "a fresh anchor never reuses a previous version's anchor"
    assert anchors == assign_anchors(doc, inherited=inherited, previous_anchors=previous)
