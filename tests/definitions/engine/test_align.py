"""Clause alignment: which clause of a new version continues which clause of the old one."""
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from definitions.engine import align as align_module
from definitions.engine.align import ClauseRef, Pair, align, longest_increasing_subsequence

PROJECT_ROOT = Path(__file__).resolve().parents[3]

PREAMBLE = "## Preamble\n"
FREEDOMS = "Anyone may use, study, change and pass on the system, for any purpose and without asking.\n"
DATA = "- **Data information**: enough detail about the training data for a skilled person to rebuild it.\n"
CODE = "- **Code**: the full source used to train and run the system, under approved licences.\n"
WEIGHTS = "- **Weights**: the trained parameters, under terms that let anyone use and share them.\n"
CLOSING = "Nothing here stops a system from also being safe, fair or accountable.\n"


def refs(*texts: str, keys: list[str | None] | None = None) -> list[ClauseRef]:
    keys = keys if keys is not None else [None] * len(texts)
    return [ClauseRef(key, text) for key, text in zip(keys, texts, strict=True)]


def by_new(old: list[ClauseRef], new: list[ClauseRef]) -> dict[int, Pair]:
    return {p.new_index: p for p in align(old, new) if p.new_index is not None}


def removed(old: list[ClauseRef], new: list[ClauseRef]) -> dict[int, Pair]:
    return {p.old_index: p for p in align(old, new) if p.new_index is None}


def assert_accounted_for(old: list[ClauseRef], new: list[ClauseRef]) -> None:
    pairs = align(old, new).pairs
    assert sorted(p.new_index for p in pairs if p.new_index is not None) == list(range(len(new)))
    continued = [p.old_index for p in pairs if p.new_index is not None and p.old_index is not None]
    dropped = [p.old_index for p in pairs if p.new_index is None]
    assert sorted(continued + dropped) == list(range(len(old)))


def test_identical_versions_pair_each_clause_with_itself():
    old = refs(PREAMBLE, FREEDOMS, DATA, CODE)
    pairs = by_new(old, refs(PREAMBLE, FREEDOMS, DATA, CODE))
    assert [(p.old_index, p.relation, p.matched_by) for p in pairs.values()] == [
        (0, "equal", "text"), (1, "equal", "text"), (2, "equal", "text"), (3, "equal", "text")
    ]
    assert align(old, old).removed() == []


def test_empty_versions():
    assert align([], []).pairs == ()
    assert [p.relation for p in align([], refs(PREAMBLE, FREEDOMS))] == ["added", "added"]
    assert [(p.old_index, p.relation) for p in align(refs(PREAMBLE, FREEDOMS), [])] == [(0, "removed"), (1, "removed")]


def test_an_inserted_clause_is_added_and_the_others_stay_equal():
    pairs = by_new(refs(PREAMBLE, DATA, CODE), refs(PREAMBLE, DATA, WEIGHTS, CODE))
    assert [(p.old_index, p.relation) for p in pairs.values()] == [
        (0, "equal"), (1, "equal"), (None, "added"), (2, "equal")
    ]


def test_a_deleted_clause_is_removed():
    old, new = refs(PREAMBLE, DATA, CODE, WEIGHTS), refs(PREAMBLE, DATA, WEIGHTS)
    assert [p.old_index for p in by_new(old, new).values()] == [0, 1, 3]
    assert list(removed(old, new)) == [2]
    assert removed(old, new)[2].relation == "removed"


def test_an_edited_clause_continues_its_old_clause():
    edited = CODE.replace("approved licences", "licences approved by the OSI")
    pair = by_new(refs(PREAMBLE, DATA, CODE), refs(PREAMBLE, DATA, edited))[2]
    assert (pair.old_index, pair.relation, pair.matched_by, pair.moved) == (2, "modified", "similar", False)


def test_a_reflowed_clause_matches_and_is_flagged_whitespace_only():
    reflowed = "Anyone may use, study, change\n  and pass on the system,  for any purpose and without asking.\n"
    pair = by_new(refs(PREAMBLE, FREEDOMS), refs(PREAMBLE, reflowed))[1]
    assert (pair.old_index, pair.relation, pair.matched_by, pair.whitespace_only) == (1, "modified", "reflow", True)


def test_a_markup_only_change_matches_on_the_same_words():
    pair = by_new(refs("Terminology\n-----------\n", FREEDOMS), refs("## Terminology\n", FREEDOMS))[0]
    assert (pair.old_index, pair.relation, pair.matched_by, pair.whitespace_only) == (0, "modified", "words", False)


def test_a_moved_clause_is_marked_moved_and_the_others_keep_their_order():
    pairs = by_new(refs(PREAMBLE, FREEDOMS, DATA, CODE, WEIGHTS), refs(PREAMBLE, WEIGHTS, FREEDOMS, DATA, CODE))
    assert [(p.old_index, p.relation) for p in pairs.values()] == [
        (0, "equal"), (4, "moved"), (1, "equal"), (2, "equal"), (3, "equal")
    ]


def test_a_moved_and_edited_clause_is_one_pair():
    edited = WEIGHTS.replace("trained parameters", "trained parameters and weights")
    pairs = by_new(refs(PREAMBLE, FREEDOMS, DATA, CODE, WEIGHTS), refs(PREAMBLE, edited, FREEDOMS, DATA, CODE))
    assert (pairs[1].old_index, pairs[1].relation, pairs[1].moved, pairs[1].matched_by) == (4, "moved", True, "similar")


def test_a_split_clause_continues_in_its_closest_part_and_the_other_records_split_from():
    first = "Model parameters shall be made available under terms approved by the Open Source Initiative."
    second = "Weights that cannot be shared may be described in detail instead."
    old = refs(PREAMBLE, f"{first} {second}\n", CLOSING)
    new = refs(PREAMBLE, f"{first}\n", f"{second}\n", CLOSING)
    pairs = by_new(old, new)
    assert (pairs[1].old_index, pairs[1].relation) == (1, "modified")
    assert (pairs[2].old_index, pairs[2].relation, pairs[2].split_from) == (None, "split", 1)
    assert removed(old, new) == {}


def test_merged_clauses_continue_the_closest_one_and_the_others_are_merged_into_it():
    first = "Model parameters shall be made available under terms approved by the Open Source Initiative."
    second = "Weights that cannot be shared may instead be described in enough detail."
    old = refs(PREAMBLE, f"{first}\n", f"{second}\n", CLOSING)
    new = refs(PREAMBLE, f"{first} {second}\n", CLOSING)
    pairs = by_new(old, new)
    assert (pairs[1].old_index, pairs[1].relation, pairs[1].merged_from) == (1, "merged", (2,))
    assert (removed(old, new)[2].relation, removed(old, new)[2].merged_into) == ("removed", 1)


def test_a_clause_rewritten_in_place_still_continues_its_old_clause():
    # Too different for the similarity cutoff, but it is the only change between two clauses that
    # kept their places: a reader sees one clause rewritten.
    old_code = "- **Code:** The source code used to train and run the system, made available with approved licences.\n"
    new_code = (
        "- **Code**: All of the source code used to train and to run the system. It shall say how every dataset "
        "was cleaned and filtered and how training was carried out, step by step, and be released under "
        "approved licences.\n"
    )
    pair = by_new(refs(DATA, old_code, WEIGHTS), refs(DATA, new_code, WEIGHTS))[1]
    assert (pair.old_index, pair.relation, pair.matched_by) == (1, "modified", "in_place")


def test_unrelated_clauses_are_not_paired():
    old = refs(PREAMBLE, "The licence must not discriminate against any person or group of persons.\n", CLOSING)
    new = refs(PREAMBLE, "- **Weights**: 3 files, 12 GB, stored on a mirror in Iceland.\n", CLOSING)
    assert by_new(old, new)[1].relation == "added"
    assert list(removed(old, new)) == [1]


def test_duplicates_of_one_text_pair_up_in_order():
    item = "- Yes\n"
    old = refs(PREAMBLE, item, DATA, item, CODE, item)
    new = refs(PREAMBLE, item, DATA, item, CODE, item)
    assert [p.old_index for p in by_new(old, new).values()] == [0, 1, 2, 3, 4, 5]


def test_a_repeated_heading_stays_with_its_own_section_when_a_section_is_inserted():
    examples = "### Examples\n"
    old = refs(
        "## Use\n", examples, "Running it on any machine.\n",
        "## Share\n", examples, "Giving copies to anyone.\n",
    )
    new = refs(
        "## Use\n", examples, "Running it on any machine.\n",
        "## Study\n", examples, "Reading how it was trained.\n",
        "## Share\n", examples, "Giving copies to anyone.\n",
    )
    pairs = by_new(old, new)
    assert pairs[1].old_index == 1  # the first section's heading
    assert pairs[7].old_index == 4  # the last section's heading, not the new section's
    assert pairs[4].relation == "added"


def test_a_deleted_copy_of_a_repeated_text_is_the_one_that_was_removed():
    examples = "### Examples\n"
    old = refs(
        "## Use\n", examples, "Running it anywhere.\n", "## Study\n", examples, "## Share\n", examples, "Copies.\n"
    )
    new = refs("## Use\n", examples, "Running it anywhere.\n", "## Share\n", examples, "Copies.\n")
    assert [p.old_index for p in by_new(old, new).values()] == [0, 1, 2, 5, 6, 7]
    assert sorted(removed(old, new)) == [3, 4]


def test_same_keys_pair_first_even_when_the_text_changed():
    old = refs(FREEDOMS, DATA, keys=["freedoms", "data"])
    new = refs(DATA, "Something else entirely, written from scratch.\n", keys=["data", "freedoms"])
    pairs = by_new(old, new)
    assert (pairs[0].old_index, pairs[0].matched_by) == (1, "key")
    assert (pairs[1].old_index, pairs[1].matched_by) == (0, "key")


def test_an_unchanged_clause_finds_its_old_text_when_keys_point_elsewhere():
    old = refs(FREEDOMS, DATA, CODE, keys=["a", "b", "c"])
    # "b" now names another text; DATA itself (unkeyed) must still find old DATA if "b" is taken.
    new = refs(FREEDOMS, CODE, DATA, keys=["a", "c", None])
    pairs = by_new(old, new)
    assert [p.old_index for p in pairs.values()] == [0, 2, 1]


def test_unicode_text_is_matched_and_edited():
    data = "Les données d’entraînement doivent être décrites en détail — 数据说明。\n"
    old = refs("## Préambule\n", data, "Ελευθερία χρήσης.\n")
    new = refs("## Préambule\n", "Ελευθερία χρήσης.\n", data.replace("en détail", "avec précision"))
    pairs = by_new(old, new)
    assert [(p.old_index, p.relation) for p in pairs.values()] == [(0, "equal"), (2, "equal"), (1, "moved")]


def test_clauses_without_words_still_align():
    old = refs("---\n", "| a |\n", "\n", "")
    new = refs("---\n", "", "| a |\n", "\n")
    assert_accounted_for(old, new)
    assert [p.old_index for p in by_new(old, new).values()] == [0, 3, 1, 2]


def test_alignment_is_deterministic():
    rng = random.Random(7)
    words = "data code weights licence share study modify use system model terms".split()
    old = refs(*(" ".join(rng.choice(words) for _ in range(8)) + "\n" for _ in range(60)))
    new = list(old)
    rng.shuffle(new)
    new = [ClauseRef(None, r.markdown.replace("data", "datasets", 1)) for r in new[:50]]
    first = align(old, new)
    assert all(align(old, new) == first for _ in range(3))
    assert_accounted_for(old, new)


def test_similarity_cutoff_decides_what_counts_as_the_same_clause():
    edited = CODE.replace("approved licences", "licences the community approved")
    assert by_new(refs(DATA, CODE), refs(DATA, edited))[1].relation == "modified"
    strict = {p.new_index: p for p in align(refs(DATA, CODE), refs(DATA, edited), similarity_cutoff=99.0)}
    assert strict[1].relation == "added"


def test_the_similarity_search_compares_a_bounded_number_of_pairs(monkeypatch):
    # Every clause edited: all of them go to the similarity pass. All pairs would be 1,500**2;
    # the candidate search must keep the comparisons proportional to the number of clauses.
    calls = {"n": 0}
    real = align_module.fuzz

    class CountingFuzz:
        def __getattr__(self, name):
            function = getattr(real, name)

            def counted(*args, **kwargs):
                calls["n"] += 1
                return function(*args, **kwargs)

            return counted

    monkeypatch.setattr(align_module, "fuzz", CountingFuzz())
    rng = random.Random(3)
    words = [f"w{k}" for k in range(300)]
    old = refs(*(" ".join(rng.choice(words) for _ in range(12)) + ".\n" for _ in range(1500)))
    new = [ClauseRef(None, "Edited: " + r.markdown) for r in old]
    result = align(old, new)
    assert calls["n"] <= 30 * len(old)
    assert sum(1 for p in result if p.relation == "modified") >= 0.95 * len(old)


def test_longest_increasing_subsequence():
    assert longest_increasing_subsequence([]) == set()
    assert longest_increasing_subsequence([5]) == {0}
    chosen = longest_increasing_subsequence([3, 0, 1, 7, 2, 4])
    values = [[3, 0, 1, 7, 2, 4][i] for i in sorted(chosen)]
    assert len(values) == 4 and values == sorted(values)


def test_the_engine_modules_import_no_django():
    script = (
        "import sys\n"
        "import definitions.engine.align, definitions.engine.diff, definitions.engine.redline\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'rest_framework', 'celery'})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("key", [None, "anchor"])
def test_clause_ref_matching_text_defaults_to_folded_source(key):
    assert ClauseRef(key, "a\n  b\tc\n").matching_text == "a b c"
    assert ClauseRef(key, "1. a b\n", text="a b").matching_text == "a b"
