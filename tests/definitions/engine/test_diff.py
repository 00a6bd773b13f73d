"""Redline diffs: word ops within a clause, and version diffs that account for every clause."""
from __future__ import annotations

import pytest

from definitions.engine import diff as diff_module
from definitions.engine.align import ClauseRef
from definitions.engine.diff import ClauseDiff, VersionDiff, diff_suggestion, diff_text, diff_versions, tokenize

PREAMBLE = "## Preamble\n"
FREEDOMS = "Anyone may use, study, change and pass on the system, for any purpose and without asking.\n"
DATA = "- **Data information**: enough detail about the training data for a skilled person to rebuild it.\n"
CODE = "- **Code**: the full source used to train and run the system, under approved licences.\n"
WEIGHTS = "- **Weights**: the trained parameters, under terms that let anyone use and share them.\n"


def rebuilt(words) -> tuple[str, str]:
    old = "".join(text for op, text in words if op in "=-")
    new = "".join(text for op, text in words if op in "=+")
    return old, new


def keyed(*texts: str, prefix: str) -> list[ClauseRef]:
    return [ClauseRef(f"{prefix}{k}", text) for k, text in enumerate(texts)]


def diff(old: list[ClauseRef], new: list[ClauseRef]) -> VersionDiff:
    return diff_versions(old, new, from_label="0.1", to_label="0.2")


def ops(result: VersionDiff) -> list[tuple[str, int | None, int | None]]:
    return [(c.op, c.from_index, c.to_index) for c in result.clauses]


# -- word ops -------------------------------------------------------------------------------------


def test_tokens_keep_every_character():
    text = "Use,  study\tand\nshare — freely (see §2)!"
    assert "".join(tokenize(text)) == text
    assert tokenize("a  b,c") == ["a", "  ", "b", ",", "c"]


def test_a_replaced_word_is_one_deletion_then_one_insertion():
    assert diff_text("the model weights", "the model parameters") == [
        ("=", "the model "), ("-", "weights"), ("+", "parameters")
    ]


def test_whitespace_between_two_changes_joins_them():
    assert diff_text("the red car went home", "the blue bus went home") == [
        ("=", "the "), ("-", "red car"), ("+", "blue bus"), ("=", " went home")
    ]


def test_insertions_and_deletions_alone():
    inserted = diff_text("use the system", "use and study the system")
    assert inserted == [("=", "use "), ("+", "and study "), ("=", "the system")]
    deleted = diff_text("use and study the system", "use the system")
    assert deleted == [("=", "use "), ("-", "and study "), ("=", "the system")]


def test_empty_and_identical_texts():
    assert diff_text("", "") == []
    assert diff_text("same\n", "same\n") == [("=", "same\n")]
    assert diff_text("", "new\n") == [("+", "new\n")]
    assert diff_text("old\n", "") == [("-", "old\n")]


def test_a_change_of_whitespace_alone_is_a_whitespace_op():
    words = diff_text("use the\nsystem", "use the system")
    assert words == [("=", "use the"), ("-", "\n"), ("+", " "), ("=", "system")]


def test_adjacent_ops_of_one_kind_are_merged():
    words = diff_text("a b c d e", "a x y z e")
    assert all(first[0] != second[0] for first, second in zip(words, words[1:]))
    assert rebuilt(words) == ("a b c d e", "a x y z e")


def test_unicode_words_rebuild_exactly():
    old, new = "Les données — 数据 — ελευθερία 🙂", "Les métadonnées — 数据集 — ελευθερία 🙂!"
    words = diff_text(old, new)
    assert rebuilt(words) == (old, new)
    assert ("-", "données") in words and ("+", "métadonnées") in words


def test_a_huge_clause_is_diffed_line_first_and_still_rebuilds(monkeypatch):
    rows = [f"| component {k} | required | licence {k % 7} |\n" for k in range(3000)]
    changed = list(rows)
    changed[10] = "| component 10 | optional | licence 3 |\n"
    del changed[2000]
    old, new = "".join(rows), "".join(changed)
    calls = []
    real = diff_module._diff_lines_then_words
    monkeypatch.setattr(diff_module, "_diff_lines_then_words", lambda a, b: calls.append(1) or real(a, b))
    words = diff_text(old, new)
    assert calls  # the line-first path was taken
    assert rebuilt(words) == (old, new)
    assert ("-", "required") in words and ("+", "optional") in words
    assert ("-", rows[2000]) in words


def test_a_huge_changed_block_is_shown_replaced_whole(monkeypatch):
    monkeypatch.setattr(diff_module, "MAX_WORD_DIFF_CELLS", 100)
    old = "".join(f"line {k} of the old table\n" for k in range(1000))
    new = "".join(f"row {k} of a new table\n" for k in range(1000))
    assert diff_text(old, new) == [("-", old), ("+", new)]


# -- version diffs --------------------------------------------------------------------------------


def test_a_version_against_itself_is_all_equal():
    clauses = keyed(PREAMBLE, FREEDOMS, DATA, CODE, prefix="c")
    result = diff(clauses, clauses)
    assert [c.op for c in result.clauses] == ["equal"] * 4
    assert [c.words for c in result.clauses] == [(("=", c.markdown),) for c in clauses]
    assert result.stats == {"equal": 4, "modified": 0, "added": 0, "removed": 0, "moved": 0}
    assert not result.has_changes


def test_empty_versions():
    assert diff([], []).clauses == ()
    assert ops(diff([], keyed(PREAMBLE, prefix="n"))) == [("added", None, 0)]
    assert ops(diff(keyed(PREAMBLE, prefix="o"), [])) == [("removed", 0, None)]


def test_clauses_come_in_new_order_with_removals_where_they_were():
    old = keyed(PREAMBLE, FREEDOMS, DATA, CODE, prefix="o")
    new = keyed(PREAMBLE, DATA, WEIGHTS, CODE, prefix="n")
    assert ops(diff(old, new)) == [
        ("equal", 0, 0), ("removed", 1, None), ("equal", 2, 1), ("added", None, 2), ("equal", 3, 3)
    ]


def test_a_removal_at_the_start_comes_first():
    assert ops(diff(keyed(PREAMBLE, FREEDOMS, prefix="o"), keyed(FREEDOMS, prefix="n"))) == [
        ("removed", 0, None), ("equal", 1, 0)
    ]


def test_a_moved_and_edited_clause_appears_once_with_its_word_ops():
    edited = WEIGHTS.replace("trained parameters", "trained parameters and weights")
    old = keyed(PREAMBLE, FREEDOMS, DATA, CODE, WEIGHTS, prefix="o")
    new = [ClauseRef(None, t) for t in (PREAMBLE, edited, FREEDOMS, DATA, CODE)]
    result = diff(old, new)
    assert ops(result) == [("equal", 0, 0), ("moved", 4, 1), ("equal", 1, 2), ("equal", 2, 3), ("equal", 3, 4)]
    moved = result.clauses[1]
    assert (moved.from_anchor, moved.to_anchor) == ("o4", None)
    assert ("+", " and weights") in moved.words
    assert result.stats["moved"] == 1


def test_a_removal_after_a_moved_clause_stays_where_it_was():
    old = keyed(PREAMBLE, FREEDOMS, DATA, CODE, WEIGHTS, prefix="o")
    new = keyed(WEIGHTS, PREAMBLE, FREEDOMS, CODE, prefix="n")
    assert ops(diff(old, new)) == [
        ("moved", 4, 0), ("equal", 0, 1), ("equal", 1, 2), ("removed", 2, None), ("equal", 3, 3)
    ]


def test_a_reflow_is_a_whitespace_only_modification():
    reflowed = FREEDOMS.replace("study, change and", "study,\n  change and")
    result = diff(keyed(PREAMBLE, FREEDOMS, prefix="o"), keyed(PREAMBLE, reflowed, prefix="n"))
    clause = result.clauses[1]
    assert (clause.op, clause.whitespace_only) == ("modified", True)
    assert {op for op, text in clause.words if op != "="} == {"-", "+"}
    assert all(text.isspace() for op, text in clause.words if op != "=")


def test_a_split_and_a_merge_are_recorded_with_anchors():
    first = "Model parameters shall be made available under terms approved by the Open Source Initiative."
    second = "Weights that cannot be shared may be described in detail instead."
    whole, parts = (f"{first} {second}\n",), (f"{first}\n", f"{second}\n")
    split = diff(keyed(PREAMBLE, *whole, prefix="o"), keyed(PREAMBLE, *parts, prefix="n"))
    assert [(c.op, c.split_from) for c in split.clauses] == [("equal", None), ("modified", None), ("added", "o1")]
    assert split.clauses[2].to_dict()["split_from"] == "o1"

    merged = diff(keyed(PREAMBLE, *parts, prefix="o"), keyed(PREAMBLE, *whole, prefix="n"))
    assert [(c.op, c.merged_from, c.merged_into) for c in merged.clauses] == [
        ("equal", (), None), ("modified", ("o2",), None), ("removed", (), "n1")
    ]
    assert merged.clauses[1].to_dict()["merged_from"] == ["o2"]
    assert merged.clauses[2].to_dict()["merged_into"] == "n1"


def test_every_clause_rebuilds_its_texts_from_the_word_ops():
    old = keyed(PREAMBLE, FREEDOMS, DATA, CODE, prefix="o")
    new = keyed(PREAMBLE, FREEDOMS.replace("any purpose", "every purpose"), CODE, WEIGHTS, prefix="n")
    for clause in diff(old, new).clauses:
        assert rebuilt(clause.words) == (clause.from_markdown or "", clause.to_markdown or "")


def test_to_dict_has_the_documented_shape():
    old = keyed(PREAMBLE, CODE, prefix="o")
    new = keyed(PREAMBLE, CODE.replace("full", "complete"), WEIGHTS, prefix="n")
    data = diff(old, new).to_dict()
    assert (data["from"], data["to"]) == ("0.1", "0.2")
    assert data["stats"] == {"equal": 1, "modified": 1, "added": 1, "removed": 0, "moved": 0}
    modified = data["clauses"][1]
    assert set(modified) == {
        "op", "from_anchor", "to_anchor", "from_markdown", "to_markdown", "words", "whitespace_only",
        "from_index", "to_index",
    }
    assert (modified["op"], modified["from_anchor"], modified["to_anchor"]) == ("modified", "o1", "n1")
    assert ["-", "full"] in modified["words"] and ["+", "complete"] in modified["words"]
    added = data["clauses"][2]
    assert (added["op"], added["from_markdown"], added["words"]) == ("added", None, [["+", WEIGHTS]])


def test_empty_clause_texts_are_handled():
    result = diff(keyed("", PREAMBLE, prefix="o"), keyed("", PREAMBLE, "", prefix="n"))
    assert [(c.op, c.words) for c in result.clauses] == [
        ("equal", ()), ("equal", (("=", PREAMBLE),)), ("added", ())
    ]


def test_a_suggestion_is_diffed_against_its_clause():
    suggestion = diff_suggestion(CODE, CODE.replace("approved licences", "OSI-approved licences"))
    assert isinstance(suggestion, ClauseDiff)
    assert suggestion.op == "modified" and not suggestion.whitespace_only
    assert ("+", "OSI-approved") in suggestion.words or ("+", "OSI-") in suggestion.words
    assert rebuilt(suggestion.words) == (CODE, CODE.replace("approved licences", "OSI-approved licences"))
    assert diff_suggestion(CODE, CODE).op == "equal"
    assert diff_suggestion(CODE, CODE.replace(" the ", "  the ")).whitespace_only


@pytest.mark.parametrize("label", ["1.0-RC1", "ünïcode"])
def test_labels_are_carried_through(label):
    result = diff_versions([], [], from_label=label, to_label=label)
    assert result.to_dict()["from"] == result.to_dict()["to"] == label
