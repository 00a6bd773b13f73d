"""Properties of the diff engine for any clause lists and any edits: both texts rebuild exactly from
the word ops, every clause of both versions is accounted for exactly once, and an unchanged clause
never loses its old counterpart while one with its text is left over."""
from __future__ import annotations

import html
import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from definitions.engine import redline
from definitions.engine.align import ClauseRef, align, fold
from definitions.engine.diff import VersionDiff, diff_text, diff_versions, tokenize

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words that stress the tokeniser and the renderers: accents, CJK, emoji, markup look-alikes.
WORDS = ["data", "code", "model", "weights", "use", "share", "Study", "données", "数据", "🙂", "{++", "--}", "~>",
         "<b>", "&amp;", "**Code**", "1.", "-", "|", "#"]
SEPARATORS = [" ", " ", " ", "  ", "\n", "\t", ", ", ". ", "\n  ", ""]

structured_text = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=14).map(
    lambda parts: "".join(word + sep for word, sep in parts)
)
clause_text = st.one_of(structured_text, structured_text, st.text(max_size=30))


@st.composite
def edited(draw, text: str) -> str:
    tokens = tokenize(text)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(tokens)))
        kind = draw(st.sampled_from(["replace", "insert", "delete"]))
        word = draw(st.sampled_from(WORDS + SEPARATORS))
        if kind == "insert" or at == len(tokens):
            tokens.insert(at, word)
        elif kind == "replace":
            tokens[at] = word
        else:
            del tokens[at]
    return "".join(tokens)


@st.composite
def version_pairs(draw) -> tuple[list[ClauseRef], list[ClauseRef]]:
    old_texts = draw(st.lists(clause_text, max_size=14))
    new_texts: list[str] = []
    for text in old_texts:
        action = draw(st.sampled_from(["keep", "keep", "keep", "edit", "delete", "reflow", "duplicate"]))
        if action == "keep":
            new_texts.append(text)
        elif action == "edit":
            new_texts.append(draw(edited(text)))
        elif action == "reflow":
            new_texts.append(re.sub(r"[ \t]+", "\n", text, count=1))
        elif action == "duplicate":
            new_texts += [text, text]
    for at, text in draw(st.lists(st.tuples(st.integers(0, 30), clause_text), max_size=4)):
        new_texts.insert(min(at, len(new_texts)), text)
    for source, target in draw(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=3)):
        if new_texts:
            moving = new_texts.pop(source % len(new_texts))
            new_texts.insert(target % (len(new_texts) + 1), moving)

    old = [ClauseRef(f"o{k}", text) for k, text in enumerate(old_texts)]
    if not draw(st.booleans()):
        return old, [ClauseRef(None, text) for text in new_texts]
    # Anchored: each new clause keeps an old anchor, takes a fresh one, or has none; never twice.
    used: set[str] = set()
    new = []
    for k, text in enumerate(new_texts):
        choices = [None, f"n{k}"] + [f"o{j}" for j in range(len(old_texts)) if f"o{j}" not in used]
        key = draw(st.sampled_from(choices))
        if key is not None:
            used.add(key)
        new.append(ClauseRef(key, text))
    return old, new


def rebuilt(words) -> tuple[str, str]:
    return "".join(t for op, t in words if op in "=-"), "".join(t for op, t in words if op in "=+")


def assert_sound(old: list[ClauseRef], new: list[ClauseRef], result: VersionDiff) -> None:
    from_indices = [c.from_index for c in result.clauses if c.from_index is not None]
    to_indices = [c.to_index for c in result.clauses if c.to_index is not None]
    assert sorted(from_indices) == list(range(len(old)))  # each old clause exactly once
    assert to_indices == list(range(len(new)))  # each new clause exactly once, in new order
    for clause in result.clauses:
        assert all(text for _, text in clause.words)
        assert all(a[0] != b[0] for a, b in zip(clause.words, clause.words[1:]))
        assert rebuilt(clause.words) == (clause.from_markdown or "", clause.to_markdown or "")
        if clause.from_index is not None:
            assert clause.from_markdown == old[clause.from_index].markdown
            assert clause.from_anchor == old[clause.from_index].key
        if clause.to_index is not None:
            assert clause.to_markdown == new[clause.to_index].markdown
            assert clause.to_anchor == new[clause.to_index].key
        if clause.op == "added":
            assert clause.from_markdown is None and clause.from_index is None
        elif clause.op == "removed":
            assert clause.to_markdown is None and clause.to_index is None
        elif clause.op == "equal":
            assert clause.from_markdown == clause.to_markdown
        elif clause.op == "modified":
            assert clause.from_markdown != clause.to_markdown
        if clause.from_markdown is not None and clause.to_markdown is not None:
            differ = clause.from_markdown != clause.to_markdown
            assert clause.whitespace_only == (differ and fold(clause.from_markdown) == fold(clause.to_markdown))
    assert sum(result.stats.values()) == len(result.clauses)


@PROPERTY_SETTINGS
@given(version_pairs())
def test_every_clause_is_accounted_for_once_and_rebuilds_exactly(versions):
    old, new = versions
    result = diff_versions(old, new, from_label="a", to_label="b")
    assert_sound(old, new, result)
    assert result == diff_versions(old, new, from_label="a", to_label="b")  # deterministic


@PROPERTY_SETTINGS
@given(version_pairs())
def test_an_unchanged_clause_keeps_an_old_clause_with_its_text_when_one_is_free(versions):
    old, new = versions
    pairs = align(old, new).pairs
    left_over_old = Counter(old[p.old_index].markdown for p in pairs if p.new_index is None)
    for pair in pairs:
        if pair.new_index is None or pair.matched_by == "key":  # a shared anchor decides first
            continue
        text = new[pair.new_index].markdown
        if pair.old_index is None or old[pair.old_index].markdown != text:
            assert left_over_old[text] == 0, f"{text!r} left an old copy unclaimed"


@PROPERTY_SETTINGS
@given(st.lists(clause_text, max_size=14), st.booleans())
def test_a_version_against_itself_is_all_equal(texts, anchored):
    clauses = [ClauseRef(f"c{k}" if anchored else None, text) for k, text in enumerate(texts)]
    result = diff_versions(clauses, clauses, from_label="x", to_label="x")
    assert [c.op for c in result.clauses] == ["equal"] * len(texts)
    assert [(c.from_index, c.to_index) for c in result.clauses] == [(k, k) for k in range(len(texts))]


@PROPERTY_SETTINGS
@given(st.text(max_size=80), st.text(max_size=80))
def test_word_ops_rebuild_any_two_texts(old, new):
    words = diff_text(old, new)
    assert rebuilt(words) == (old, new)
    assert all(text for _, text in words)
    assert all(a[0] != b[0] for a, b in zip(words, words[1:]))


# One left-to-right scan, as a CriticMarkup processor reads: substitution, insertion, deletion.
_MARKUP = re.compile(r"\{~~(.*?)~>(.*?)~~\}|\{\+\+(.*?)\+\+\}|\{--(.*?)--\}", re.S)
_NOTE = re.compile(r"\A\{>>.*?<<\}(\n\n)?", re.S)


def resolve(markdown: str, *, accept: bool) -> str:
    def choose(match: re.Match) -> str:
        old, new, inserted, deleted = match.groups()
        if inserted is not None:
            return inserted if accept else ""
        if deleted is not None:
            return "" if accept else deleted
        return new if accept else old

    return _MARKUP.sub(choose, _NOTE.sub("", markdown)).replace("\u200b", "")


@PROPERTY_SETTINGS
@given(version_pairs())
def test_renderings_keep_the_document_text(versions):
    old, new = versions
    result = diff_versions(old, new, from_label="a", to_label="b")
    # CriticMarkup: accepting every change gives the new text, rejecting every change the old one
    # (up to the clause's final line breaks, and blank lines inside a change, which stay bare).
    for clause in result.clauses:
        if any(re.search(r"\n[ \t]*\n", text) for op, text in clause.words if op != "="):
            continue
        markdown = redline.clause_to_markdown(clause)
        assert resolve(markdown, accept=True).rstrip("\r\n") == (clause.to_markdown or "").rstrip("\r\n")
        assert resolve(markdown, accept=False).rstrip("\r\n") == (clause.from_markdown or "").rstrip("\r\n")
    # HTML: the text between the tags, unescaped, is exactly the old and new text side by side.
    fragment = redline.to_html(result, layout="side_by_side")
    columns = re.findall(r'<div class="wb-diff-(old|new)[^"]*">(.*?)</div>', fragment, re.S)
    olds = [html.unescape(re.sub(r"<[^>]+>", "", body)) for side, body in columns if side == "old"]
    news = [html.unescape(re.sub(r"<[^>]+>", "", body)) for side, body in columns if side == "new"]
    assert olds == [c.from_markdown or "" for c in result.clauses]
    assert news == [c.to_markdown or "" for c in result.clauses]
