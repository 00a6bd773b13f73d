"""Clause alignment between two versions: which clause of the new version continues which clause of
the old one. Pure Python (no Django).

It serves twice: at import, so that a new version's clauses inherit the anchors (and with them the
comments and votes) of the clauses they continue; and in the redline diff, to pair the clauses whose
words are compared. It works on plain `ClauseRef` lists and knows nothing of Markdown.

Matching runs in passes, each on what the earlier ones left unmatched, so the cheap and certain
matches come first and the costly similarity search sees few clauses:

1. the same key (anchor) on both sides;
2. identical source text;
3. identical matching text (`ClauseRef.text`, by default the source with whitespace folded: a
   reflowed paragraph), then the same words in the same order (only markup changed, e.g. a setext
   heading rewritten as ``##``);
4. similar text, scored with rapidfuzz, but never all pairs: each unmatched new clause is compared
   only with the unmatched old clauses that share its rarest word shingles (an inverted index read
   rarest-first under a fixed budget) and with the few unmatched old clauses around the place where
   it is expected, so the work grows linearly with the size of the document;
5. rewritten in place: what is still unmatched between two clauses that kept their order is a
   block that was replaced, as a reader sees it; there a clause pairs with the one at its place
   on a laxer test (the mean of character, word and partial similarity, 10 points under the
   cutoff), in order, comparing each new clause only with a few old ones at its relative position
   in the block.

In passes 2 and 3 a text found once on each side pairs up at once, wherever it is; a repeated text
(``### Examples`` under every section) pairs up in order, choosing the copies nearest to where the
unique matches say each one should be, so that adding a section does not shift every repeat onto
its neighbour. Every copy that can be paired is paired: a clause whose text is unchanged always
continues an old clause with the same text when one is left unclaimed.

Then a longest increasing subsequence of the matched old positions (taken in new order; among the
longest, the one keeping the most unchanged clauses) marks the pairs that kept their relative
order; the other pairs are ``moved``. Splits and merges come from containment: a new clause left
over whose text is found inside an old clause that another new clause continues is ``split`` from
it; an old clause left over whose text is found inside a new clause that continues another old
clause was merged into it (the new clause is ``merged``, the old one ``removed`` with
``merged_into``). Pass 4 finds these among the clauses it compares; a last look at each left-over
clause's neighbours finds them when the clause they came from was matched earlier (by its anchor).

The result is deterministic: every loop runs in index order and every tie is broken by index.

The passes, the scoring of pairs and the result are here; around them, `align_types` holds the data
(`ClauseRef`, `Pair`, `Alignment`; re-exported here), `align_candidates` what each side yields to
match on and the candidate search of pass 4, and `align_order` the order-keeping algorithms
(longest increasing subsequence, ordered assignment of repeated texts).
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

# The tuning knobs that moved out with their code (MAX_CANDIDATES, MAX_SHINGLE_FREQUENCY, NEIGHBOURS,
# POSTING_BUDGET, MAX_ORDERED_ASSIGNMENT_CELLS) stay readable as align.X, like the ones kept here.
from .align_candidates import (  # noqa: F401
    MAX_CANDIDATES,
    MAX_SHINGLE_FREQUENCY,
    NEIGHBOURS,
    POSTING_BUDGET,
    Side,
    candidates,
    shingle_index,
)
from .align_order import MAX_ORDERED_ASSIGNMENT_CELLS, longest_increasing_subsequence, ordered_assignment  # noqa: F401
from .align_types import Alignment, ClauseRef, MatchKind, Pair, Relation, fold

__all__ = [
    "Alignment",
    "ClauseRef",
    "MatchKind",
    "Pair",
    "Relation",
    "SIMILARITY_CUTOFF",
    "align",
    "fold",
    "longest_increasing_subsequence",
]

#: Similarity (rapidfuzz ``ratio``, 0-100) from which two clauses count as one clause edited.
SIMILARITY_CUTOFF = 60.0
#: ``partial_ratio`` (0-100) from which the shorter of two clauses counts as contained in the longer
#: (a split or a merge).
CONTAINMENT_CUTOFF = 90.0
#: Containment is only judged for texts at least this long (shorter ones are found everywhere) and
#: at most this fraction of the longer text (of similar lengths, plain similarity decides).
MIN_CONTAINED_CHARS = 24
MAX_CONTAINED_FRACTION = 0.85
#: A candidate at the expected position gets this bonus, fading to none at PROXIMITY_RANGE clauses
#: away: between two near-equal candidates, the clause edited in place wins over a look-alike.
PROXIMITY_BONUS = 5.0
PROXIMITY_RANGE = 4.0
#: Pass 5: two clauses at the same place in a replaced block count as one clause rewritten when the
#: mean of their character ``ratio``, word ``ratio`` and ``partial_ratio`` reaches the similarity
#: cutoff less this allowance; each new clause is compared with the old clauses up to
#: IN_PLACE_WINDOW places either side of its relative position in the block.
IN_PLACE_ALLOWANCE = 10.0
IN_PLACE_WINDOW = 4


def align(
    old: Sequence[ClauseRef], new: Sequence[ClauseRef], *, similarity_cutoff: float = SIMILARITY_CUTOFF
) -> Alignment:
    """Pair the clauses of ``new`` with the clauses of ``old`` they continue (see the module notes).

    ``similarity_cutoff`` is a rapidfuzz ratio (0-100): edited clauses less alike than this are
    taken for a removal plus an addition.
    """
    return _Aligner(old, new, similarity_cutoff).run()


@dataclass(frozen=True)
class _Edge:
    """A scored candidate pair of the similarity pass."""

    new: int
    old: int
    ratio: float
    containment: float  # how well the shorter text is found in the longer (0 when not judged)
    new_is_shorter: bool
    distance: float  # from the position where the new clause is expected in the old version
    rank: float  # ratio plus the proximity bonus


class _Aligner:
    def __init__(self, old: Sequence[ClauseRef], new: Sequence[ClauseRef], cutoff: float) -> None:
        self.old, self.new, self.cutoff = Side(old), Side(new), cutoff
        self.old_of_new: list[int | None] = [None] * len(new)
        self.new_of_old: list[int | None] = [None] * len(old)
        self.matched_by: dict[int, MatchKind] = {}
        self.split_from: dict[int, int] = {}
        self.merged_into: dict[int, int] = {}

    def run(self) -> Alignment:
        self._match_keys()
        self._match_identical(lambda side, i: side.refs[i].markdown, "text")
        self._match_identical(Side.text, "reflow")
        self._match_identical(Side.word_key, "words")
        self._match_similar()
        self._match_in_place()
        self._note_neighbouring_splits_and_merges()
        return self._result()

    # -- bookkeeping ------------------------------------------------------------------------------

    def _link(self, n: int, o: int, how: MatchKind) -> None:
        self.old_of_new[n] = o
        self.new_of_old[o] = n
        self.matched_by[n] = how

    def _free_old(self) -> list[int]:
        return [o for o, n in enumerate(self.new_of_old) if n is None]

    def _free_new(self) -> list[int]:
        return [n for n, o in enumerate(self.old_of_new) if o is None]

    def _in_order_matches(self) -> list[tuple[int, int]]:
        """The matched (new, old) pairs that kept their relative order, in new order: the heaviest
        increasing run of old positions, where every pair counts the same except that a pair of
        identical texts counts a little more (so an edited clause, not an unchanged one, is the
        one taken to have moved when either could be)."""
        matched = [(n, o) for n, o in enumerate(self.old_of_new) if o is not None]
        unit = len(matched) + 1  # more than all the bonuses together: the run's length comes first
        weights = [
            unit + (self.old.refs[o].markdown == self.new.refs[n].markdown) for n, o in matched
        ]
        chosen = longest_increasing_subsequence([o for _, o in matched], weights)
        return [matched[k] for k in sorted(chosen)]

    def _expected_old_positions(self) -> list[float]:
        """Where each new clause would sit in the old version, judging by the matched clauses that
        kept their order: a matched clause sits at its counterpart; an unmatched one between two of
        them sits as many places after the first (or before the second, whichever is nearer), but
        strictly between their counterparts."""
        n_new, n_old = len(self.new), len(self.old)
        anchors = self._in_order_matches()
        if not anchors:
            scale = n_old / n_new if n_new else 0.0
            return [n * scale for n in range(n_new)]
        expected = [0.0] * n_new
        bounds = [(None, None), *anchors, (None, None)]
        for (n1, o1), (n2, o2) in zip(bounds, bounds[1:]):
            start = 0 if n1 is None else n1 + 1
            end = n_new if n2 is None else n2
            if n2 is not None:
                expected[n2] = float(o2)
            for m in range(start, end):
                if n1 is not None and (n2 is None or m - n1 <= n2 - m):
                    position = float(o1 + (m - n1))
                else:
                    position = float(o2 - (n2 - m))  # type: ignore[operator]
                if o1 is not None:
                    position = max(position, o1 + 0.5)
                if o2 is not None:
                    position = min(position, o2 - 0.5)
                expected[m] = position
        return expected

    # -- passes 1-3: certain matches --------------------------------------------------------------

    def _match_keys(self) -> None:
        old_by_key: dict[str, int] = {}
        for o, ref in enumerate(self.old.refs):
            if ref.key is not None:
                old_by_key.setdefault(ref.key, o)  # keys should be unique; the first one wins
        if not old_by_key:
            return
        for n, ref in enumerate(self.new.refs):
            o = old_by_key.get(ref.key) if ref.key is not None else None
            if o is not None and self.new_of_old[o] is None:
                self._link(n, o, "key")

    def _match_identical(self, value: Callable[[Side, int], str | None], how: MatchKind) -> None:
        """Pair unmatched clauses whose ``value`` is the same (None matches nothing)."""
        free_old, free_new = self._free_old(), self._free_new()
        if not free_old or not free_new:
            return
        old_groups: dict[str, list[int]] = defaultdict(list)
        for o in free_old:
            if (key := value(self.old, o)) is not None:
                old_groups[key].append(o)
        new_groups: dict[str, list[int]] = defaultdict(list)
        for n in free_new:
            if (key := value(self.new, n)) is not None and key in old_groups:
                new_groups[key].append(n)
        repeated: list[tuple[list[int], list[int]]] = []
        for key, news in new_groups.items():
            olds = old_groups[key]
            if len(news) == 1 and len(olds) == 1:
                self._link(news[0], olds[0], how)
            else:
                repeated.append((news, olds))
        if repeated:
            # Positions come from the unique matches just made: they are the landmarks.
            expected = self._expected_old_positions()
            for news, olds in repeated:
                for n, o in ordered_assignment(news, olds, lambda n, o: abs(expected[n] - o)):
                    self._link(n, o, how)

    # -- pass 4: similar text ---------------------------------------------------------------------

    def _match_similar(self) -> None:
        free_old, free_new = self._free_old(), self._free_new()
        if not free_old or not free_new:
            return
        expected = self._expected_old_positions()
        index = shingle_index(self.old, free_old)
        edges: list[_Edge] = []
        for n in free_new:
            for o in candidates(self.new.shingles(n), expected[n], index, free_old):
                edge = self._score(n, o, expected[n])
                if edge is not None:
                    edges.append(edge)

        # Best first: the clearest continuations claim their clauses before the doubtful ones.
        similar = sorted(
            (e for e in edges if e.ratio >= self.cutoff), key=lambda e: (-e.rank, -e.ratio, e.distance, e.new, e.old)
        )
        for e in similar:
            if self.old_of_new[e.new] is None and self.new_of_old[e.old] is None:
                self._link(e.new, e.old, "similar")

        contained = sorted(
            (e for e in edges if e.containment >= CONTAINMENT_CUTOFF),
            key=lambda e: (-e.ratio, -e.containment, e.distance, e.new, e.old),
        )
        # A part of a split (or merge) too short to pass the similarity cutoff still continues its
        # clause when nothing else does: the largest part carries the anchor.
        for e in contained:
            if e.ratio >= self.cutoff / 2 and self.old_of_new[e.new] is None and self.new_of_old[e.old] is None:
                self._link(e.new, e.old, "contained")
        for e in contained:
            if e.new_is_shorter:
                if self.old_of_new[e.new] is None and self.new_of_old[e.old] is not None:
                    self.split_from.setdefault(e.new, e.old)
            elif self.new_of_old[e.old] is None and self.old_of_new[e.new] is not None:
                self.merged_into.setdefault(e.old, e.new)

    def _score(self, n: int, o: int, expected: float) -> _Edge | None:
        a, b = self.new.text(n), self.old.text(o)
        if not a or not b:
            return None
        containment = self._containment(n, o)
        ratio = fuzz.ratio(a, b, score_cutoff=self.cutoff / 2 if containment else self.cutoff)
        if not ratio:
            return None
        distance = abs(o - expected)
        rank = ratio + PROXIMITY_BONUS * max(0.0, 1.0 - distance / PROXIMITY_RANGE)
        return _Edge(n, o, ratio, containment, len(a) < len(b), distance, rank)

    def _containment(self, n: int, o: int) -> float:
        """How well the shorter of the two texts is found inside the longer (0 when not judged)."""
        a, b = self.new.text(n), self.old.text(o)
        short, long_ = (a, b) if len(a) <= len(b) else (b, a)
        if len(short) < MIN_CONTAINED_CHARS or len(short) > MAX_CONTAINED_FRACTION * len(long_):
            return 0.0
        # partial_ratio is costly: first ask whether most of the shorter text's words are there.
        short_words, long_words = (self.new.word_set(n), self.old.word_set(o))
        if len(a) > len(b):
            short_words, long_words = long_words, short_words
        if len(short_words & long_words) < 0.8 * len(short_words):
            return 0.0
        return fuzz.partial_ratio(short, long_, score_cutoff=CONTAINMENT_CUTOFF)

    # -- pass 5: rewritten in place ---------------------------------------------------------------

    def _match_in_place(self) -> None:
        if None not in self.old_of_new and None not in self.new_of_old:
            return
        cutoff = self.cutoff - IN_PLACE_ALLOWANCE
        for news, olds in self._replaced_blocks():
            edges: list[tuple[float, float, int, int]] = []
            scale = len(olds) / len(news)
            for k, n in enumerate(news):
                at = int((k + 0.5) * scale)
                for j in range(max(0, at - IN_PLACE_WINDOW), min(len(olds), at + IN_PLACE_WINDOW + 1)):
                    score = self._in_place_score(n, olds[j], cutoff)
                    if score >= cutoff:
                        edges.append((score, abs(j - k * scale), n, olds[j]))
            # Best first, but in order: a pair may not cross one already made in this block.
            accepted: list[tuple[int, int]] = []
            for _, _, n, o in sorted(edges, key=lambda e: (-e[0], e[1], e[2], e[3])):
                if self.old_of_new[n] is not None or self.new_of_old[o] is not None:
                    continue
                at = bisect.bisect_left(accepted, (n, o))
                if (at > 0 and accepted[at - 1][1] > o) or (at < len(accepted) and accepted[at][1] < o):
                    continue
                accepted.insert(at, (n, o))
                self._link(n, o, "in_place")

    def _replaced_blocks(self) -> list[tuple[list[int], list[int]]]:
        """The runs of unmatched new and old clauses between two consecutive in-order matches (and
        before the first, after the last), where both runs are non-empty."""
        bounds = [(-1, -1), *self._in_order_matches(), (len(self.new), len(self.old))]
        blocks: list[tuple[list[int], list[int]]] = []
        for (n1, o1), (n2, o2) in zip(bounds, bounds[1:]):
            if n2 - n1 < 2 or o2 - o1 < 2:
                continue
            news = [n for n in range(n1 + 1, n2) if self.old_of_new[n] is None]
            olds = [o for o in range(o1 + 1, o2) if self.new_of_old[o] is None]
            if news and olds:
                blocks.append((news, olds))
        return blocks

    def _in_place_score(self, n: int, o: int, cutoff: float) -> float:
        a, b = self.new.text(n), self.old.text(o)
        if not a or not b:
            return 0.0
        partial_ratio_at_most = 100.0
        quick = fuzz.ratio(a, b) + fuzz.ratio(self.new.words(n), self.old.words(o))
        if (quick + partial_ratio_at_most) / 3 < cutoff:
            return 0.0
        return (quick + fuzz.partial_ratio(a, b)) / 3

    # -- splits and merges next to their clause -------------------------------------------------

    def _note_neighbouring_splits_and_merges(self) -> None:
        """A clause left over next to a matched one whose text holds it is a split (or merge) of
        it. Pass 4 finds these only among clauses free before it; this catches them when the
        clause they came from was matched earlier, e.g. by its key when both versions have anchors."""
        for n in self._free_new():
            if n in self.split_from:
                continue
            for m in (n - 1, n + 1, n - 2, n + 2):
                o = self.old_of_new[m] if 0 <= m < len(self.new) else None
                if o is not None and self._containment(n, o) and len(self.new.text(n)) < len(self.old.text(o)):
                    self.split_from[n] = o
                    break
        for o in self._free_old():
            if o in self.merged_into:
                continue
            for p in (o - 1, o + 1, o - 2, o + 2):
                n = self.new_of_old[p] if 0 <= p < len(self.old) else None
                if n is not None and self._containment(n, o) and len(self.old.text(o)) < len(self.new.text(n)):
                    self.merged_into[o] = n
                    break

    # -- the result -------------------------------------------------------------------------------

    def _result(self) -> Alignment:
        in_order = set(self._in_order_matches())
        moved = {n for n, o in enumerate(self.old_of_new) if o is not None and (n, o) not in in_order}
        merged_from: dict[int, list[int]] = defaultdict(list)
        for o in sorted(self.merged_into):
            merged_from[self.merged_into[o]].append(o)

        pairs: list[Pair] = []
        for n, o in enumerate(self.old_of_new):
            if o is None:
                if n in self.split_from:
                    pairs.append(Pair(n, None, "split", split_from=self.split_from[n]))
                else:
                    pairs.append(Pair(n, None, "added"))
                continue
            a, b = self.old.refs[o].markdown, self.new.refs[n].markdown
            same = a == b
            relation: Relation
            if merged_from.get(n):
                relation = "merged"
            elif n in moved:
                relation = "moved"
            else:
                relation = "equal" if same else "modified"
            pairs.append(
                Pair(
                    n, o, relation,
                    moved=n in moved,
                    whitespace_only=not same and fold(a) == fold(b),
                    matched_by=self.matched_by[n],
                    merged_from=tuple(merged_from.get(n, ())),
                )
            )
        for o, n in enumerate(self.new_of_old):
            if n is None:
                pairs.append(Pair(None, o, "removed", merged_into=self.merged_into.get(o)))
        return Alignment(tuple(pairs))
