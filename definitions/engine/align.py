"""Clause alignment between two versions: which new clause continues which old one.

Pure Python (no Django). Used at import, to let a new version inherit anchors, and by the diff.

Matching runs in passes, each on what the earlier ones left unmatched, so that the cheap, certain
matches come first and the costly similarity search sees few clauses:

1. same key (anchor) on both sides;
2. identical source text (exact hash), in document order for repeated texts;
3. identical text once whitespace is folded (a reflow);
4. similar text: candidates are old clauses sharing *rare* words with the new one (an inverted
   index, so no all-pairs comparison), scored with rapidfuzz, taken greedily best-first.

Then a longest increasing subsequence of the matched old positions (in new order) marks the pairs
that kept their relative order; the others are ``moved``. A new clause left unmatched whose best
candidate was already taken becomes a ``split`` of that old clause; an old clause left unmatched
whose best candidate was taken is ``merged`` into it.
"""
from __future__ import annotations

import bisect
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from rapidfuzz import fuzz

WORD_RE = re.compile(r"\w+", re.UNICODE)
SPACE_RE = re.compile(r"\s+")

#: Similarity (0-100, rapidfuzz ratio) at or above which two clauses are the same clause edited.
SIMILARITY_CUTOFF = 60.0
#: A word is "rare" when it occurs in at most this many clauses of the old version; only rare
#: words propose candidates, which keeps the similarity pass near-linear.
RARE_WORD_LIMIT = 8
#: At most this many candidates (those sharing the most rare words) are scored per new clause.
MAX_CANDIDATES = 12
#: Below this many candidates from rare words, the old clauses at nearby positions are added.
NEIGHBOURHOOD = 3


@dataclass(frozen=True)
class ClauseRef:
    """The minimum the engines need of a clause."""

    key: str | None  # anchor, or None when unknown (a freshly parsed version)
    markdown: str  # the clause's exact own source


@dataclass(frozen=True)
class Pair:
    """One line of an alignment: a new clause and the old clause it continues (or None)."""

    new_index: int | None
    old_index: int | None
    relation: str  # equal | modified | moved | split | added | removed
    whitespace_only: bool = False
    split_from: int | None = None  # for 'split': the old clause the extra part came from
    merged_from: tuple[int, ...] = ()  # old clauses merged into this one besides old_index


@dataclass
class Alignment:
    pairs: list[Pair] = field(default_factory=list)

    def continuation_of(self) -> dict[int, int]:
        """new index -> old index, for the clauses that continue an old one."""
        return {p.new_index: p.old_index for p in self.pairs if p.new_index is not None and p.old_index is not None}


def fold(text: str) -> str:
    return SPACE_RE.sub(" ", text).strip()


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _words(text: str) -> set[str]:
    return {w.casefold() for w in WORD_RE.findall(text)}


def align(old: Sequence[ClauseRef], new: Sequence[ClauseRef], *, similarity_cutoff: float = SIMILARITY_CUTOFF) -> Alignment:
    old_for_new: dict[int, int] = {}
    taken_old: set[int] = set()

    def match(n: int, o: int) -> None:
        old_for_new[n] = o
        taken_old.add(o)

    # 1. Same key on both sides.
    old_by_key = {ref.key: i for i, ref in enumerate(old) if ref.key}
    for n, ref in enumerate(new):
        if ref.key and ref.key in old_by_key and old_by_key[ref.key] not in taken_old:
            match(n, old_by_key[ref.key])

    # 2 and 3. Identical text, then identical folded text; repeated texts pair up in order.
    for normalise in (lambda s: s, fold):
        buckets: dict[str, list[int]] = defaultdict(list)
        for o, ref in enumerate(old):
            if o not in taken_old:
                buckets[_digest(normalise(ref.markdown))].append(o)
        for n, ref in enumerate(new):
            if n in old_for_new:
                continue
            bucket = buckets.get(_digest(normalise(ref.markdown)))
            while bucket and bucket[0] in taken_old:
                bucket.pop(0)
            if bucket:
                match(n, bucket.pop(0))

    # 4. Similar text, through an inverted index of rare words.
    free_old = [o for o in range(len(old)) if o not in taken_old]
    free_new = [n for n in range(len(new)) if n not in old_for_new]
    best_taken: dict[int, tuple[float, int]] = {}  # new index -> (score, old) for split detection
    if free_old and free_new:
        old_words = {o: _words(old[o].markdown) for o in free_old}
        index: dict[str, list[int]] = defaultdict(list)
        for o in free_old:
            for w in old_words[o]:
                index[w].append(o)
        candidates: list[tuple[float, int, int]] = []
        for n in free_new:
            shared: dict[int, int] = defaultdict(int)
            for w in _words(new[n].markdown):
                posting = index.get(w)
                if posting and len(posting) <= RARE_WORD_LIMIT:
                    for o in posting:
                        shared[o] += 1
            chosen = sorted(shared, key=lambda o: (-shared[o], o))[:MAX_CANDIDATES]
            if len(chosen) < NEIGHBOURHOOD:
                # Expected position of n in old order: scale by length; add the free old clauses there.
                guess = int(n * len(old) / max(1, len(new)))
                at = bisect.bisect_left(free_old, guess)
                for o in free_old[max(0, at - NEIGHBOURHOOD): at + NEIGHBOURHOOD]:
                    if o not in chosen:
                        chosen.append(o)
            a = fold(new[n].markdown)
            for o in chosen:
                score = fuzz.ratio(a, fold(old[o].markdown), score_cutoff=similarity_cutoff)
                if score:
                    candidates.append((score, n, o))
        candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
        for score, n, o in candidates:
            if n in old_for_new:
                continue
            if o in taken_old:
                best_taken.setdefault(n, (score, o))
                continue
            match(n, o)

    # Splits: an unmatched new clause much like an old clause that another new clause continues.
    split_of: dict[int, int] = {}
    for n in range(len(new)):
        if n not in old_for_new and n in best_taken:
            split_of[n] = best_taken[n][1]
    # Merges: an unmatched old clause much like a new clause that continues another old clause.
    merged_into: dict[int, list[int]] = defaultdict(list)
    new_of_old = {o: n for n, o in old_for_new.items()}
    unmatched_old = [o for o in range(len(old)) if o not in taken_old]
    if unmatched_old and old_for_new:
        new_words_index: dict[str, list[int]] = defaultdict(list)
        matched_new = sorted(old_for_new)
        for n in matched_new:
            for w in _words(new[n].markdown):
                new_words_index[w].append(n)
        for o in unmatched_old:
            shared: dict[int, int] = defaultdict(int)
            for w in _words(old[o].markdown):
                posting = new_words_index.get(w)
                if posting and len(posting) <= RARE_WORD_LIMIT:
                    for n in posting:
                        shared[n] += 1
            best = None
            a = fold(old[o].markdown)
            for n in sorted(shared, key=lambda n: (-shared[n], n))[:MAX_CANDIDATES]:
                # Merged text holds the old clause: partial ratio finds it inside the longer one.
                score = fuzz.partial_ratio(a, fold(new[n].markdown), score_cutoff=max(similarity_cutoff, 80))
                if score and (best is None or score > best[0]):
                    best = (score, n)
            if best is not None and len(fold(new[best[1]].markdown)) > len(fold(old[new_of_old.get(best[1], o)].markdown)):
                merged_into[best[1]].append(o)
    merged_old = {o for olds in merged_into.values() for o in olds}

    # Moves: pairs outside the longest increasing subsequence of old positions (in new order).
    matched = sorted(old_for_new.items())
    in_order = _lis_members([o for _, o in matched])
    pairs: list[Pair] = []
    for k, (n, o) in enumerate(matched):
        same = new[n].markdown == old[o].markdown
        ws_only = not same and fold(new[n].markdown) == fold(old[o].markdown)
        if k not in in_order:
            relation = "moved"
        elif same:
            relation = "equal"
        else:
            relation = "modified"
        pairs.append(Pair(n, o, relation, whitespace_only=ws_only, merged_from=tuple(sorted(merged_into.get(n, ())))))
    for n in range(len(new)):
        if n not in old_for_new:
            if n in split_of:
                pairs.append(Pair(n, None, "split", split_from=split_of[n]))
            else:
                pairs.append(Pair(n, None, "added"))
    for o in range(len(old)):
        if o not in taken_old:
            pairs.append(Pair(None, o, "merged" if o in merged_old else "removed"))
    pairs.sort(key=lambda p: (p.new_index is None, p.new_index if p.new_index is not None else p.old_index))
    return Alignment(pairs)


def _lis_members(seq: Sequence[int]) -> set[int]:
    """Indices (into seq) of one longest strictly increasing subsequence, in O(n log n)."""
    tails: list[int] = []  # seq values
    tail_at: list[int] = []  # indices into seq
    previous = [-1] * len(seq)
    for i, value in enumerate(seq):
        k = bisect.bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k] = value
            tail_at[k] = i
        previous[i] = tail_at[k - 1] if k > 0 else -1
    members: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i != -1:
        members.add(i)
        i = previous[i]
    return members
