"""Theme detection: planted topics are recovered, small or degenerate input gives no themes."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from consultations.engine.themes import Theme, find_themes, theme_count

# Four topics with their own vocabularies, written for these tests, plus filler every comment shares.
TOPICS = {
    "data": ["dataset", "corpus", "provenance", "scraping", "licensing", "consent", "crawl", "annotation"],
    "weights": ["parameters", "checkpoint", "quantized", "finetune", "tensor", "release", "download", "inference"],
    "legal": ["copyright", "lawyer", "jurisdiction", "liability", "statute", "contract", "court", "patent"],
    "safety": ["misuse", "harm", "redteam", "guardrail", "abuse", "risk", "mitigation", "evaluation"],
}
FILLER = ["clause", "draft", "wording", "proposal", "committee", "community", "definition", "text",
          "version", "comment", "change", "reading", "paragraph", "feedback"]


def planted_comments(per_topic: int = 80, seed: int = 11) -> tuple[list[tuple[int, str]], dict[int, str]]:
    rng = random.Random(seed)
    comments, topic_of = [], {}
    next_id = 1
    for topic, vocabulary in TOPICS.items():
        for _ in range(per_topic):
            words = rng.choices(vocabulary, k=rng.randint(4, 8)) + rng.choices(FILLER, k=rng.randint(4, 10))
            rng.shuffle(words)
            comments.append((next_id, "The " + " ".join(words) + "."))
            topic_of[next_id] = topic
            next_id += 1
    rng.shuffle(comments)
    return comments, topic_of


def test_four_planted_topics_are_recovered():
    comments, topic_of = planted_comments()
    themes = find_themes(comments)
    assert len(themes) == 4
    for topic, vocabulary in TOPICS.items():
        members = {cid for cid, t in topic_of.items() if t == topic}
        best = max(themes, key=lambda th: len(members.intersection(th.comment_ids)))
        assert len(members.intersection(best.comment_ids)) >= 0.8 * len(members)
        assert set(best.keywords) & set(vocabulary), (topic, best.keywords)
        assert topic_of[best.representative_comment_id] == topic
    # Each theme is a different topic.
    owners = [Counter(topic_of[c] for c in th.comment_ids).most_common(1)[0][0] for th in themes]
    assert sorted(owners) == sorted(TOPICS)


def test_theme_label_is_the_top_three_keywords():
    for theme in find_themes(planted_comments()[0]):
        assert theme.label == " / ".join(theme.keywords[:3])
        assert theme.comment_ids == sorted(theme.comment_ids)
        assert theme.representative_comment_id in theme.comment_ids


def test_same_comments_in_any_order_give_identical_themes():
    comments, _ = planted_comments()
    shuffled = list(comments)
    random.Random(5).shuffle(shuffled)
    assert find_themes(comments) == find_themes(shuffled)
    assert [t.to_dict() for t in find_themes(comments)] == [t.to_dict() for t in find_themes(sorted(comments))]


def test_weights_make_a_campaign_outweigh_its_single_row():
    comments, topic_of = planted_comments(per_topic=60)
    legal_id = next(cid for cid, t in sorted(topic_of.items()) if t == "legal")
    weighted = [(cid, text, 1000 if cid == legal_id else 1) for cid, text in comments]
    themes = find_themes(weighted)
    legal = next(th for th in themes if legal_id in th.comment_ids)
    assert themes[0] is legal
    assert legal.weight == 1000 + len(legal.comment_ids) - 1


def test_themes_are_sorted_by_weight_then_label():
    themes = find_themes(planted_comments()[0])
    assert [(-t.weight, t.label) for t in themes] == sorted((-t.weight, t.label) for t in themes)


def test_big_clauses_are_fitted_on_a_sample_and_every_comment_is_assigned(monkeypatch):
    from consultations.engine import themes as module

    monkeypatch.setattr(module, "FIT_SAMPLE", 150)
    comments, topic_of = planted_comments(per_topic=100)
    found = find_themes(comments, max_themes=4)
    assigned = {cid for th in found for cid in th.comment_ids}
    assert len(assigned) >= 0.8 * len(comments)
    assert found == find_themes(list(reversed(comments)), max_themes=4)


@pytest.mark.parametrize("comments", [
    [],
    [(1, "The training data must be published.")],
    [(1, "Publish the data."), (2, "Publish the weights.")],
    [(i, "Exactly the same comment about training data.") for i in range(50)],
    [(i, "") for i in range(20)],
    [(i, "   ") for i in range(20)],
    [(i, "it is what it is and we are not") for i in range(20)],
    [(i, "!!! ??? 123") for i in range(20)],
])
def test_degenerate_input_gives_no_themes(comments):
    assert find_themes(comments) == []


def test_max_themes_caps_the_number_of_themes():
    assert len(find_themes(planted_comments()[0], max_themes=2)) <= 2


def test_theme_count_grows_with_the_square_root_of_the_comments():
    assert [theme_count(n, 8) for n in (0, 100, 320, 1000, 10**6)] == [2, 2, 4, 7, 8]
    assert theme_count(10**6, 5) == 5


def test_to_dict_is_plain_data():
    theme = Theme(label="a / b / c", keywords=["a", "b", "c"], comment_ids=[1], representative_comment_id=1, weight=1)
    assert theme.to_dict() == {"label": "a / b / c", "keywords": ["a", "b", "c"], "comment_ids": [1],
                               "representative_comment_id": 1, "weight": 1}
