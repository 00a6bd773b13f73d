"""Candidate generation for the similarity pass of clause alignment (pass 4 in `align`): what each
side's clauses yield to match on (texts, words, shingles), and which few unmatched old clauses a new
clause is compared with, so that the work grows linearly with the size of the document. Pure Python
(no Django); the scoring of the candidates stays in `align`.
"""
from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from .align_types import ClauseRef

__all__ = [
    "MAX_CANDIDATES",
    "MAX_SHINGLE_FREQUENCY",
    "NEIGHBOURS",
    "POSTING_BUDGET",
    "Side",
    "candidates",
    "shingle_index",
]

#: A shingle in more unmatched old clauses than this proposes no candidates: it says nothing.
MAX_SHINGLE_FREQUENCY = 64
#: Postings read per new clause, rarest shingles first; bounds the candidate search.
POSTING_BUDGET = 256
#: Candidates kept per new clause from the shingle votes, plus this many unmatched old clauses on
#: each side of the expected position.
MAX_CANDIDATES = 8
NEIGHBOURS = 2

_WORD_RE = re.compile(r"\w+")


class Side:
    """One version's clauses, with what the passes derive from them computed on first use: most
    clauses match on their source in pass 2, and never need more."""

    def __init__(self, refs: Sequence[ClauseRef]) -> None:
        self.refs = refs
        self._texts: dict[int, str] = {}
        self._words: dict[int, list[str]] = {}
        self._word_sets: dict[int, frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self.refs)

    def text(self, i: int) -> str:
        if i not in self._texts:
            self._texts[i] = self.refs[i].matching_text
        return self._texts[i]

    def words(self, i: int) -> list[str]:
        if i not in self._words:
            self._words[i] = _WORD_RE.findall(self.text(i).casefold())
        return self._words[i]

    def word_set(self, i: int) -> frozenset[str]:
        if i not in self._word_sets:
            self._word_sets[i] = frozenset(self.words(i))
        return self._word_sets[i]

    def word_key(self, i: int) -> str | None:
        """The words, without the markup and punctuation between them (None: no words)."""
        words = self.words(i)
        return " ".join(words) if words else None

    def shingles(self, i: int) -> set[str]:
        """Words and word pairs: pairs make an edited sentence findable even when the vocabulary is
        small; single words keep one- and two-word clauses (headings) findable."""
        words = self.words(i)
        found = set(words)
        found.update(f"{a} {b}" for a, b in zip(words, words[1:]))
        return found


def shingle_index(side: Side, indices: Iterable[int]) -> dict[str, list[int]]:
    """The inverted index of the given clauses of ``side``: shingle -> their indices, in order."""
    index: dict[str, list[int]] = defaultdict(list)
    for o in indices:
        for shingle in side.shingles(o):
            index[shingle].append(o)
    return index


def candidates(
    shingles: Iterable[str], expected: float, index: Mapping[str, list[int]], free_old: list[int]
) -> list[int]:
    """The old clauses to compare a new clause (with these ``shingles``) with: those sharing most of
    its rarest shingles, read under a fixed budget, then the unmatched ones nearest to ``expected``,
    its expected position in the old version."""
    postings = sorted(
        (len(found), shingle)
        for shingle in shingles
        if (found := index.get(shingle)) is not None and len(found) <= MAX_SHINGLE_FREQUENCY
    )
    votes: dict[int, int] = defaultdict(int)
    read = 0
    for size, shingle in postings:
        if read and read + size > POSTING_BUDGET:
            break
        for o in index[shingle]:
            votes[o] += 1
        read += size
    ranked = sorted(votes, key=lambda o: (-votes[o], abs(o - expected), o))[:MAX_CANDIDATES]
    at = bisect.bisect_left(free_old, expected)
    nearby = free_old[max(0, at - NEIGHBOURS): at + NEIGHBOURS]
    return list(dict.fromkeys(ranked + nearby))
