"""Duplicate detection: exact and lightly edited form letters are grouped, distinct comments are not."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consultations.engine.duplicates import DuplicateGroup, dedupe_for_themes, find_duplicate_groups
from consultations.engine.textnorm import normalise, separated_bytes

ROOT = Path(__file__).resolve().parents[3]

# --- A seeded generator of comments (own vocabulary; also used by bench/analysis_bench.py) ---------

_SYLLABLES = ["ba", "ko", "ri", "mel", "tan", "su", "vor", "li", "den", "pa", "qui", "ro", "zen", "fa",
              "mu", "tor", "nel", "si", "gar", "po", "lun", "ve", "dra", "chi"]
_STOCK_PHRASES = ["i think that", "in my view", "the definition should", "this clause", "as a developer",
                  "we believe", "it is important that", "please consider", "on the other hand",
                  "for example", "the community", "open source", "training data", "model weights"]
_NAMES = ["Ada", "Bram", "Chen", "Dana", "Eko", "Femi", "Gita", "Hugo", "Ines", "Jun", "Kofi", "Lena",
          "Mira", "Nils", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tove", "Uma", "Vik", "Wen", "Yara"]


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    vocabulary: set[str] = set()
    while len(vocabulary) < size:
        vocabulary.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(vocabulary)


def _sentence(rng: random.Random, vocabulary: list[str], low: int = 8, high: int = 16) -> str:
    parts = []
    for _ in range(rng.randint(low, high)):
        # Stock phrases make unrelated comments share a few shingles, as real comments do.
        parts.append(rng.choice(_STOCK_PHRASES) if rng.random() < 0.12 else rng.choice(vocabulary))
    return " ".join(parts).capitalize() + "."


def make_campaign_copies(rng: random.Random, vocabulary: list[str], copies: int) -> list[str]:
    """A template of ~80-150 words, then copies with a greeting name, a sentence added or removed
    and a few words changed."""
    template = []
    while sum(len(s.split()) for s in template) < rng.randint(80, 150):
        template.append(_sentence(rng, vocabulary))
    letters = []
    for _ in range(copies):
        sentences = list(template)
        if rng.random() < 0.5:
            del sentences[rng.randrange(len(sentences))]
        else:
            sentences.insert(rng.randrange(len(sentences) + 1), _sentence(rng, vocabulary))
        tokens = " ".join(sentences).split()
        for _ in range(rng.randint(1, 4)):
            tokens[rng.randrange(len(tokens))] = rng.choice(vocabulary)
        letters.append(f"Dear {rng.choice(_NAMES)}, " + " ".join(tokens))
    return letters


def make_distinct_comments(rng: random.Random, vocabulary: list[str], count: int) -> list[str]:
    return [" ".join(_sentence(rng, vocabulary) for _ in range(rng.randint(1, 5))) for _ in range(count)]


def make_round(seed: int, distinct: int, campaigns: int, copies: int, vocabulary_size: int = 4000):
    """(comments, campaign_of): shuffled (id, text) pairs and, for campaign comments, the campaign index."""
    rng = random.Random(seed)
    vocabulary = make_vocabulary(rng, vocabulary_size)
    texts: list[tuple[str, int | None]] = [(t, None) for t in make_distinct_comments(rng, vocabulary, distinct)]
    for campaign in range(campaigns):
        texts.extend((t, campaign) for t in make_campaign_copies(rng, vocabulary, copies))
    rng.shuffle(texts)
    comments = [(i + 1, text) for i, (text, _) in enumerate(texts)]
    campaign_of = {i + 1: c for i, (_, c) in enumerate(texts) if c is not None}
    return comments, campaign_of


# --- Tests ------------------------------------------------------------------------------------------

LETTER = ("We urge the drafting committee to require that the full training data of an open source "
          "AI system be published, because without the data nobody can study or rebuild the model, "
          "and the freedom to modify is empty without it.")


def test_exact_duplicates_are_grouped_whatever_their_length_or_punctuation():
    comments = [(5, "I agree!"), (2, "i  AGREE"), (9, "I agree."), (1, "Something else entirely"), (3, "+1")]
    groups = find_duplicate_groups(comments)
    assert groups == [DuplicateGroup(size=3, comment_ids=[2, 5, 9], exemplar_comment_id=2)]


def test_exemplar_is_the_most_common_exact_text_then_the_smallest_id():
    comments = [(1, LETTER.upper()), (2, LETTER), (3, LETTER + " "), (4, LETTER), (5, LETTER.upper() + "!")]
    (group,) = find_duplicate_groups(comments)
    assert group.comment_ids == [1, 2, 3, 4, 5]
    assert group.exemplar_comment_id == 2  # LETTER appears twice, every other spelling once


def test_lightly_edited_copies_are_near_duplicates():
    edited = LETTER.replace("urge", "ask").replace("nobody", "no one") + " Thank you, Priya."
    groups = find_duplicate_groups([(1, LETTER), (2, edited), (3, "Short and unrelated remark on clause 4.")])
    assert [g.comment_ids for g in groups] == [[1, 2]]


def test_short_texts_are_only_grouped_when_exactly_equal():
    comments = [(1, "I agree with this"), (2, "I agree with that"), (3, "I agree with this")]
    assert [g.comment_ids for g in find_duplicate_groups(comments)] == [[1, 3]]


def test_blank_and_punctuation_only_comments_are_never_grouped():
    assert find_duplicate_groups([(1, ""), (2, "   "), (3, "!!!"), (4, "...")]) == []


def test_empty_input_gives_no_groups():
    assert find_duplicate_groups([]) == []


def test_min_size_leaves_out_small_groups():
    comments = [(1, "a b c"), (2, "a b c"), (3, "x y"), (4, "x y"), (5, "x y")]
    assert [g.comment_ids for g in find_duplicate_groups(comments, min_size=3)] == [[3, 4, 5]]


def test_groups_are_sorted_by_size_then_smallest_id():
    comments = [(10, "b"), (11, "b"), (1, "c"), (2, "c"), (3, "a"), (4, "a"), (5, "a")]
    assert [g.comment_ids for g in find_duplicate_groups(comments)] == [[3, 4, 5], [1, 2], [10, 11]]


def test_threshold_one_groups_only_exact_duplicates():
    edited = LETTER.replace("urge", "ask")
    assert find_duplicate_groups([(1, LETTER), (2, edited)], threshold=1.0) == []
    assert [g.comment_ids for g in find_duplicate_groups([(1, LETTER), (2, edited)])] == [[1, 2]]


@pytest.mark.parametrize("kwargs", [{"threshold": 0}, {"threshold": 1.5}, {"min_size": 1}, {"num_perm": 4}])
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        find_duplicate_groups([(1, "a")], **kwargs)


def test_to_dict_is_plain_data():
    group = DuplicateGroup(size=2, comment_ids=[1, 2], exemplar_comment_id=1)
    assert group.to_dict() == {"size": 2, "comment_ids": [1, 2], "exemplar_comment_id": 1}


def test_same_comments_in_any_order_give_identical_groups():
    comments, _ = make_round(seed=3, distinct=400, campaigns=3, copies=40)
    shuffled = list(comments)
    random.Random(99).shuffle(shuffled)
    assert find_duplicate_groups(comments) == find_duplicate_groups(reversed(shuffled))


def test_dedupe_for_themes_counts_each_group_once_with_its_size_as_weight():
    comments = [(4, "other"), (1, LETTER), (2, LETTER), (3, LETTER + "!"), (5, "x y"), (6, "x y")]
    groups = find_duplicate_groups(comments)
    assert dedupe_for_themes(comments, groups) == [(1, LETTER, 3), (4, "other", 1), (5, "x y", 2)]


@pytest.mark.slow
def test_campaigns_are_recovered_among_many_distinct_comments():
    """10 campaigns of 500 lightly edited copies among 20,000 distinct comments."""
    comments, campaign_of = make_round(seed=7, distinct=20_000, campaigns=10, copies=500)
    groups = find_duplicate_groups(comments)

    grouped_distinct = sum(1 for g in groups for cid in g.comment_ids if cid not in campaign_of)
    assert grouped_distinct < 0.01 * 20_000

    for campaign in range(10):
        members = {cid for cid, c in campaign_of.items() if c == campaign}
        best = max(groups, key=lambda g: len(members.intersection(g.comment_ids)))
        assert len(members.intersection(best.comment_ids)) >= 0.95 * len(members)
        # No two campaigns merged: the campaign's group holds only its own letters (and at most stray distinct ones).
        assert {campaign_of[cid] for cid in best.comment_ids if cid in campaign_of} == {campaign}



# --- Normalisation --------------------------------------------------------------------------------

def shingle_jaccard(a: str, b: str) -> float:
    def shingles(text: str) -> set[tuple[str, ...]]:
        tokens = normalise(text).split()
        return {tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)}
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60))
def test_fast_byte_normalisation_agrees_with_normalise(text):
    assert b" ".join(separated_bytes(text).split()) == normalise(text).encode()


@given(st.text(alphabet=st.sampled_from(list("aZ9 _-'`.,!?\t\n\r\x0b\x0c\x00é’")), max_size=40))
def test_ascii_fast_path_treats_punctuation_like_the_regular_expressions(text):
    assert b" ".join(separated_bytes(text).split()) == normalise(text).encode()


def test_normalise_ignores_case_punctuation_whitespace_and_apostrophes():
    expected = "dont ship the weights yet"
    assert normalise("  Don’t   SHIP\tthe weights--yet!! ") == normalise(expected) == expected
    assert normalise("STRASSE") == normalise("Straße")


# --- Near duplicates in detail --------------------------------------------------------------------

def test_the_exemplar_of_a_campaign_is_the_copy_closest_to_the_letter():
    """Each copy carries its own edits; the verbatim letter agrees best with all of them."""
    edits = [
        "Dear team, " + LETTER,
        LETTER.replace("drafting committee", "committee"),
        LETTER + " Thank you for listening, Priya.",
        LETTER.replace("and the freedom to modify is empty without it.", ""),
        "Hello, I am Kwame. " + LETTER.replace("published", "released"),
    ]
    comments = list(enumerate(edits, start=1)) + [(20, LETTER.upper()), (21, LETTER), (22, LETTER)]
    comments.append((40, "Training data must be optional because privacy law forbids sharing medical records."))
    (group,) = find_duplicate_groups(comments)
    assert group.comment_ids == [1, 2, 3, 4, 5, 20, 21, 22]
    assert group.exemplar_comment_id == 21  # the verbatim letter, in its most common spelling


def test_a_copy_of_a_copy_joins_the_group_even_when_far_from_the_original():
    """Groups are closed under near-duplication: a chain of edits stays one campaign."""
    first = LETTER
    second = first.replace("drafting committee", "working group").replace("nobody can study", "no one can study")
    third = second.replace("training data", "data sets").replace("freedom to modify is empty", "right to change means nothing")
    assert shingle_jaccard(first, third) < 0.5 <= min(shingle_jaccard(first, second), shingle_jaccard(second, third))
    assert [g.comment_ids for g in find_duplicate_groups([(1, first), (2, second), (3, third)])] == [[1, 2, 3]]


def test_non_english_copies_are_grouped_too():
    letter = ("Les poids du modèle doivent être publiés avec le code d’entraînement et une description "
              "des données suffisante pour reconstruire un système équivalent, sinon personne ne peut l’étudier.")
    comments = [(1, letter), (2, letter.replace("personne", "aucune personne")), (3, "Bonjour, je suis Zoé. " + letter),
                (4, "Ни одна модель не может считаться открытой без описания данных, на которых она обучена.")]
    assert [g.comment_ids for g in find_duplicate_groups(comments)] == [[1, 2, 3]]


def test_fewer_permutations_still_find_a_campaign():
    comments, campaign_of = make_round(seed=5, distinct=300, campaigns=1, copies=60)
    (group,) = find_duplicate_groups(comments, num_perm=64)
    assert set(group.comment_ids) <= set(campaign_of) and len(group.comment_ids) >= 0.9 * 60


def test_a_repeated_comment_id_is_refused():
    with pytest.raises(ValueError, match="appears more than once"):
        find_duplicate_groups([(1, "a"), (1, "b")])


def test_groups_do_not_depend_on_the_python_hash_seed():
    """Fresh interpreters with different PYTHONHASHSEED give identical JSON: no salted str hash leaks."""
    code = (
        "import json\n"
        "from tests.consultations.engine.test_duplicates import make_round\n"
        "from consultations.engine.duplicates import find_duplicate_groups\n"
        "comments, _ = make_round(seed=3, distinct=200, campaigns=2, copies=30)\n"
        "print(json.dumps([g.to_dict() for g in find_duplicate_groups(comments)]))\n"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout
        for seed in ("1", "2", "12345")
    }
    assert len(outputs) == 1
    assert len(json.loads(outputs.pop())) >= 2
