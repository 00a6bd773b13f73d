"""Suggestion merging: identical and near-identical wordings merge, different ones stay apart."""
from __future__ import annotations

import random

import pytest

from consultations.engine.suggestions import SuggestionGroup, merge_suggestions

WORDING = "An Open Source AI system must make its **training data** available under an open licence."
TYPO = "An Open Source AI system must make its **training data** availabe under an open licence."
OTHER = "Data information sufficient to build a substantially equivalent system is enough."


def test_identical_suggestions_are_merged():
    groups = merge_suggestions([(3, WORDING), (1, WORDING), (2, "  " + WORDING.upper() + "\n")])
    assert groups == [SuggestionGroup(markdown=WORDING, comment_ids=[1, 2, 3])]


def test_near_identical_suggestions_are_merged_under_the_most_common_text():
    groups = merge_suggestions([(1, TYPO), (2, WORDING), (3, WORDING)])
    assert groups == [SuggestionGroup(markdown=WORDING, comment_ids=[1, 2, 3])]


def test_ties_in_frequency_go_to_the_earliest_text():
    (group,) = merge_suggestions([(7, WORDING), (4, TYPO)])
    assert group.markdown == TYPO
    assert group.comment_ids == [4, 7]


def test_distinct_suggestions_stay_apart_sorted_by_count_then_smallest_id():
    groups = merge_suggestions([(9, OTHER), (5, WORDING), (6, OTHER), (1, "Delete this clause.")])
    assert [(g.markdown, g.comment_ids) for g in groups] == [
        (OTHER, [6, 9]), ("Delete this clause.", [1]), (WORDING, [5])]


def test_similarity_sets_how_close_a_variant_must_be():
    variant = WORDING.replace("must make", "should make")
    assert len(merge_suggestions([(1, WORDING), (2, variant)], similarity=0.99)) == 2
    assert len(merge_suggestions([(1, WORDING), (2, variant)], similarity=0.9)) == 1


def test_blank_suggestions_are_ignored():
    assert merge_suggestions([(1, ""), (2, "   \n"), (3, None)]) == []
    assert [g.comment_ids for g in merge_suggestions([(1, ""), (2, OTHER)])] == [[2]]


def test_empty_input_gives_no_groups():
    assert merge_suggestions([]) == []


def test_same_suggestions_in_any_order_give_identical_groups():
    rng = random.Random(4)
    texts = [WORDING, TYPO, OTHER, OTHER + " ", "Delete this clause.", "Delete this clause!", "Keep as is."]
    suggestions = [(i, rng.choice(texts)) for i in range(200)]
    expected = merge_suggestions(suggestions)
    for _ in range(5):
        rng.shuffle(suggestions)
        assert merge_suggestions(suggestions) == expected
    assert sum(len(g.comment_ids) for g in expected) == 200


@pytest.mark.parametrize("similarity", [0, -1, 1.5])
def test_bad_similarity_is_refused(similarity):
    with pytest.raises(ValueError):
        merge_suggestions([(1, WORDING)], similarity=similarity)


def test_to_dict_is_plain_data():
    assert SuggestionGroup(markdown="x", comment_ids=[1]).to_dict() == {"markdown": "x", "comment_ids": [1]}
