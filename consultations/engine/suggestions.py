"""Merging the replacement texts that commenters suggest for one clause.

Many commenters propose the same new wording, give or take a typo, capital or trailing space. The
facilitator should see each proposal once, with everyone who made it. Suggestions are bucketed by
their normalised text first (exact, cheap), then each bucket, biggest first, joins the first existing
group whose canonical text scores ``fuzz.ratio >= similarity * 100`` (rapidfuzz, in C) or starts a
group of its own. Processing biggest first makes the most popular wording the canonical one that
variants are compared with.

Deterministic: the input is put in id order first, and every order below is fixed by ids.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable

from rapidfuzz import fuzz, process

from consultations.engine.textnorm import sorted_by_id

DEFAULT_SIMILARITY = 0.9


@dataclass(frozen=True)
class SuggestionGroup:
    """One proposed wording and every comment that proposed it (or a near-identical one)."""

    markdown: str  # the most common exact text in the group (ties: the one with the earliest id)
    comment_ids: list[int]  # sorted

    def to_dict(self) -> dict:
        return asdict(self)


def _bucket_key(markdown: str) -> str:
    # Case and spacing are not a different proposal; punctuation and Markdown markup may be, so
    # they are kept here and left to the fuzzy ratio to judge.
    return " ".join(markdown.split()).casefold()


def merge_suggestions(
    suggestions: Iterable[tuple[int, str]],
    *,
    similarity: float = DEFAULT_SIMILARITY,
) -> list[SuggestionGroup]:
    """Groups of identical or near-identical suggestions, most comments first, then smallest id.

    ``suggestions`` are (comment id, suggested Markdown) pairs; blank suggestions are ignored.
    """
    if not 0.0 < similarity <= 1.0:
        raise ValueError(f"The similarity must be in (0, 1], not {similarity!r}.")

    buckets: dict[str, list[tuple[int, str]]] = {}
    for comment_id, markdown in sorted_by_id(suggestions):
        if not markdown or not markdown.strip():
            continue
        buckets.setdefault(_bucket_key(markdown), []).append((comment_id, markdown))

    ordered = sorted(buckets.items(), key=lambda kv: (-len(kv[1]), kv[1][0][0]))
    canonical: list[str] = []  # group index -> the key of the bucket that founded it
    members: list[list[tuple[int, str]]] = []
    cutoff = similarity * 100
    for key, entries in ordered:
        match = process.extractOne(key, canonical, scorer=fuzz.ratio, score_cutoff=cutoff) if canonical else None
        if match is None:
            canonical.append(key)
            members.append(list(entries))
        else:
            members[match[2]].extend(entries)

    groups = []
    for entries in members:
        entries.sort()
        counts = Counter(text.strip() for _, text in entries)
        best = max(counts.values())
        # Entries are in id order: the first with a most common text has the earliest id.
        markdown = next(text.strip() for _, text in entries if counts[text.strip()] == best)
        groups.append(SuggestionGroup(markdown=markdown, comment_ids=[cid for cid, _ in entries]))
    groups.sort(key=lambda g: (-len(g.comment_ids), g.comment_ids[0]))
    return groups
