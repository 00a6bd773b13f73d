"""The data of a clause alignment: what goes in (`ClauseRef`) and what comes out (`Pair`s in an
`Alignment`). Pure Python (no Django). The matching itself lives in `align`, which re-exports these
names; import them from there.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["Alignment", "ClauseRef", "MatchKind", "Pair", "Relation", "fold"]

Relation = Literal["equal", "modified", "moved", "split", "merged", "added", "removed"]
MatchKind = Literal["key", "text", "reflow", "words", "similar", "contained", "in_place"]


@dataclass(frozen=True)
class ClauseRef:
    """The minimum the engines need of a clause."""

    key: str | None  # anchor, or None when unknown (e.g. a freshly parsed new version at import)
    markdown: str  # the clause's exact own source
    # Text to match on when the source differs (e.g. the parser's text without list markers);
    # None means the source with whitespace folded.
    text: str | None = None

    @property
    def matching_text(self) -> str:
        return self.text if self.text is not None else fold(self.markdown)


@dataclass(frozen=True)
class Pair:
    """One line of an alignment: a new clause and the old clause it continues, or either alone.

    ``relation`` is the headline; the flags say the rest (a merged clause may also have moved).
    """

    new_index: int | None
    old_index: int | None
    relation: Relation
    moved: bool = False  # continues an old clause, out of the original order
    whitespace_only: bool = False  # continues an old clause whose source differs only in whitespace
    matched_by: MatchKind | None = None
    split_from: int | None = None  # relation 'split': the old clause this one was split from
    merged_from: tuple[int, ...] = ()  # relation 'merged': the other old clauses merged into this one
    merged_into: int | None = None  # relation 'removed': the new clause this old one was merged into


@dataclass(frozen=True)
class Alignment:
    """Every new clause once (in new order), then every old clause that nothing continues."""

    pairs: tuple[Pair, ...]

    def __iter__(self) -> Iterator[Pair]:
        return iter(self.pairs)

    def continuation_of(self) -> dict[int, int]:
        """new index -> index of the old clause it continues."""
        return {p.new_index: p.old_index for p in self.pairs if p.new_index is not None and p.old_index is not None}

    def for_new(self) -> list[Pair]:
        """The pairs of the new clauses, indexed by new index."""
        return [p for p in self.pairs if p.new_index is not None]

    def removed(self) -> list[Pair]:
        """The old clauses no new clause continues (merged ones included), in old order."""
        return [p for p in self.pairs if p.new_index is None]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for pair in self.pairs:
            counts[pair.relation] += 1
        return dict(counts)


def fold(text: str) -> str:
    """The text with every run of whitespace made one space, and none at either end."""
    return " ".join(text.split())
