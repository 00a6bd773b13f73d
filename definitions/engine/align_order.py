"""Order-keeping sequence algorithms behind clause alignment. Pure Python (no Django), and they know
nothing of clauses: `longest_increasing_subsequence` finds the matches that kept their order (the
others moved), and `ordered_assignment` pairs the copies of a repeated text in order, each near
where it is expected. `align` uses both and re-exports the first.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["MAX_ORDERED_ASSIGNMENT_CELLS", "longest_increasing_subsequence", "ordered_assignment"]

#: Above this many cells, repeated texts pair up plainly in order instead of by nearest position.
MAX_ORDERED_ASSIGNMENT_CELLS = 250_000


def ordered_assignment(news: list[int], olds: list[int], cost: Callable[[int, int], float]) -> list[tuple[int, int]]:
    """Pair as many of ``news`` with ``olds`` as possible (all of the shorter list), keeping both in
    order and minimising the summed cost; a dynamic programme over the two lists."""
    if len(news) == len(olds) or len(news) * len(olds) > MAX_ORDERED_ASSIGNMENT_CELLS:
        return list(zip(news, olds))
    swap = len(news) > len(olds)
    short, long_ = (olds, news) if swap else (news, olds)

    def pair_cost(i: int, j: int) -> float:
        return cost(long_[j], short[i]) if swap else cost(short[i], long_[j])

    inf = float("inf")
    s, m = len(short), len(long_)
    # best[i][j]: least cost pairing short[:i] within long_[:j]; took[i][j]: long_[j-1] was used.
    best = [[0.0] * (m + 1)] + [[inf] * (m + 1) for _ in range(s)]
    took = [[False] * (m + 1) for _ in range(s + 1)]
    for i in range(1, s + 1):
        row, above = best[i], best[i - 1]
        for j in range(i, m - (s - i) + 1):
            skip = row[j - 1]
            use = above[j - 1] + pair_cost(i - 1, j - 1)
            if use < skip:  # on a tie, skipping keeps the earlier copy paired
                row[j], took[i][j] = use, True
            else:
                row[j] = skip
    result: list[tuple[int, int]] = []
    i, j = s, m
    while i > 0:
        if took[i][j]:
            result.append((long_[j - 1], short[i - 1]) if swap else (short[i - 1], long_[j - 1]))
            i -= 1
        j -= 1
    result.reverse()
    return result


def longest_increasing_subsequence(seq: Sequence[int], weights: Sequence[int] | None = None) -> set[int]:
    """Indices (into ``seq``) of a strictly increasing subsequence of its values: the longest one,
    or with ``weights`` the heaviest. O(n log n), with a Fenwick tree of best runs by value; ties go
    to the run ending latest."""
    if weights is None:
        weights = [1] * len(seq)
    ranks = {value: rank for rank, value in enumerate(sorted(set(seq)), start=1)}
    size = len(ranks)
    tree: list[tuple[int, int]] = [(0, -1)] * (size + 1)  # (weight of the best run, index of its end)
    previous = [-1] * len(seq)
    best: tuple[int, int] = (0, -1)
    for i, value in enumerate(seq):
        rank = ranks[value]
        # The best run ending on a smaller value.
        found: tuple[int, int] = (0, -1)
        k = rank - 1
        while k > 0:
            if tree[k] > found:
                found = tree[k]
            k -= k & -k
        run = (found[0] + weights[i], i)
        previous[i] = found[1]
        if run > best:
            best = run
        k = rank
        while k <= size:
            if run > tree[k]:
                tree[k] = run
            k += k & -k
    members: set[int] = set()
    i = best[1]
    while i != -1:
        members.add(i)
        i = previous[i]
    return members
