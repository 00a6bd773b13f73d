"""Redline diffs: between two versions clause by clause, and between a clause and a suggested
rewording. Pure Python (no Django). The result is data (word ops); rendering lives in ``redline``.

Word ops are ``('=', text)``, ``('-', text)`` and ``('+', text)``. The ``=`` and ``-`` texts of a
clause concatenate to its old source exactly, and the ``=`` and ``+`` texts to its new source, because
the tokeniser keeps every character: words, runs of whitespace, and single other characters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Sequence

from .align import ClauseRef, align, fold

TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
#: Above this many tokens on a side, diff lines first and words only inside changed line runs, so a
#: huge clause (a long table) costs no more than a line diff.
LINE_FIRST_TOKENS = 4000

OPS = ("equal", "modified", "added", "removed", "moved")


def tokenize(text: str) -> list[str]:
    return TOKEN_RE.findall(text)


def _merge(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    merged: list[tuple[str, str]] = []
    for op, text in ops:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


def _diff_tokens(a: list[str], b: list[str]) -> list[tuple[str, str]]:
    ops: list[tuple[str, str]] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("=", "".join(a[i1:i2])))
        else:
            ops.append(("-", "".join(a[i1:i2])))
            ops.append(("+", "".join(b[j1:j2])))
    return ops


def diff_text(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level ops turning ``old`` into ``new``; adjacent ops of one kind are merged."""
    if old == new:
        return [("=", old)] if old else []
    a, b = tokenize(old), tokenize(new)
    if len(a) > LINE_FIRST_TOKENS or len(b) > LINE_FIRST_TOKENS:
        la, lb = old.splitlines(keepends=True), new.splitlines(keepends=True)
        ops: list[tuple[str, str]] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
            if tag == "equal":
                ops.append(("=", "".join(la[i1:i2])))
            else:
                sa, sb = "".join(la[i1:i2]), "".join(lb[j1:j2])
                ta, tb = tokenize(sa), tokenize(sb)
                if len(ta) * len(tb) > LINE_FIRST_TOKENS**2:
                    ops += [("-", sa), ("+", sb)]
                else:
                    ops += _diff_tokens(ta, tb)
        return _merge(ops)
    return _merge(_diff_tokens(a, b))


@dataclass
class ClauseDiff:
    op: str  # equal | modified | added | removed | moved
    from_anchor: str | None
    to_anchor: str | None
    from_markdown: str | None
    to_markdown: str | None
    words: list[tuple[str, str]]
    whitespace_only: bool = False
    split_from: str | None = None
    merged_from: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = {
            "op": self.op,
            "from_anchor": self.from_anchor,
            "to_anchor": self.to_anchor,
            "from_markdown": self.from_markdown,
            "to_markdown": self.to_markdown,
            "words": [[op, text] for op, text in self.words],
            "whitespace_only": self.whitespace_only,
        }
        if self.split_from is not None:
            data["split_from"] = self.split_from
        if self.merged_from:
            data["merged_from"] = list(self.merged_from)
        return data


@dataclass
class VersionDiff:
    from_label: str
    to_label: str
    clauses: list[ClauseDiff]

    @property
    def stats(self) -> dict[str, int]:
        counts = {op: 0 for op in OPS}
        for clause in self.clauses:
            counts[clause.op] += 1
        return counts

    def to_dict(self) -> dict:
        return {
            "from": self.from_label,
            "to": self.to_label,
            "stats": self.stats,
            "clauses": [c.to_dict() for c in self.clauses],
        }


def diff_versions(old: Sequence[ClauseRef], new: Sequence[ClauseRef], *, from_label: str, to_label: str) -> VersionDiff:
    """Every clause of both versions, exactly once, in the new version's order with removed clauses
    placed after the new counterpart of the old clause that preceded them."""
    alignment = align(old, new)
    key = lambda ref, i: ref.key if ref.key is not None else None  # noqa: E731
    by_new: dict[int, ClauseDiff] = {}
    removed_after: dict[int | None, list[ClauseDiff]] = {}
    new_of_old: dict[int, int] = {}
    for pair in alignment.pairs:
        if pair.new_index is not None and pair.old_index is not None:
            new_of_old[pair.old_index] = pair.new_index
    for pair in alignment.pairs:
        n, o = pair.new_index, pair.old_index
        if n is not None and o is not None:
            a, b = old[o].markdown, new[n].markdown
            if pair.relation == "moved":
                op = "moved"
            elif a == b:
                op = "equal"
            else:
                op = "modified"
            by_new[n] = ClauseDiff(
                op, key(old[o], o), key(new[n], n), a, b, diff_text(a, b),
                whitespace_only=pair.whitespace_only,
                merged_from=[old[m].key or f"#{m}" for m in pair.merged_from],
            )
        elif n is not None:
            b = new[n].markdown
            split = old[pair.split_from].key if pair.split_from is not None else None
            by_new[n] = ClauseDiff("added", None, key(new[n], n), None, b, [("+", b)] if b else [], split_from=split)
        else:
            a = old[o].markdown
            # Place after the new counterpart of the nearest preceding old clause that survived.
            anchor_new = None
            for prev in range(o - 1, -1, -1):
                if prev in new_of_old:
                    anchor_new = new_of_old[prev]
                    break
            removed_after.setdefault(anchor_new, []).append(
                ClauseDiff("removed", key(old[o], o), None, a, None, [("-", a)] if a else [])
            )
    clauses: list[ClauseDiff] = list(removed_after.get(None, []))
    for n in range(len(new)):
        clauses.append(by_new[n])
        clauses.extend(removed_after.get(n, []))
    return VersionDiff(from_label, to_label, clauses)


def diff_suggestion(clause_markdown: str, suggestion_markdown: str) -> ClauseDiff:
    """A proposed rewording against its clause, with the same word engine."""
    same = clause_markdown == suggestion_markdown
    return ClauseDiff(
        "equal" if same else "modified", None, None, clause_markdown, suggestion_markdown,
        diff_text(clause_markdown, suggestion_markdown),
        whitespace_only=not same and fold(clause_markdown) == fold(suggestion_markdown),
    )
