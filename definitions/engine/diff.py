"""Redline diffs: between two versions clause by clause, and between a clause and a suggested
rewording. Pure Python (no Django). The result is data (word ops); rendering lives in ``redline``.

Word ops are ``('=', text)``, ``('-', text)`` and ``('+', text)``. The ``=`` and ``-`` texts of a
clause concatenate to its old source exactly, and the ``=`` and ``+`` texts to its new source: the
tokeniser keeps every character (words, runs of whitespace, single other characters), and nothing
is ever normalised away. Within a run of changes the deletion comes first, then the insertion.

A version diff pairs the clauses with `align.align` and lists every clause of both versions exactly
once, in the new version's order, a removed clause placed after the counterpart of the old clause
that preceded it (so it shows where it used to be). Ops: ``equal``, ``modified`` (a change of
whitespace alone is ``modified`` with ``whitespace_only``), ``added``, ``removed``, ``moved`` (out
of the old order, perhaps edited too: it appears once, with its word ops). Splits and merges are
noted on the clauses concerned (``split_from``, ``merged_from``, ``merged_into``).
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from .align import ClauseRef, align, fold

__all__ = [
    "OPS",
    "ClauseDiff",
    "ClauseOp",
    "VersionDiff",
    "WordOp",
    "diff_suggestion",
    "diff_text",
    "diff_versions",
    "tokenize",
]

ClauseOp = Literal["equal", "modified", "added", "removed", "moved"]
OPS: tuple[ClauseOp, ...] = ("equal", "modified", "added", "removed", "moved")
WordOp = tuple[str, str]  # ('=' | '-' | '+', text)

TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]")
#: Above this many tokens (both sides together) lines are diffed first, and words only inside the
#: changed runs of lines: a word diff costs up to the product of the two lengths.
LINE_FIRST_TOKENS = 2_000
#: A changed run of lines whose token counts multiply past this is shown replaced whole.
MAX_WORD_DIFF_CELLS = 1_000_000


def tokenize(text: str) -> list[str]:
    """Words, runs of whitespace and single other characters; they join back to ``text``."""
    return TOKEN_RE.findall(text)


def diff_text(old: str, new: str) -> list[WordOp]:
    """Word-level ops turning ``old`` into ``new``, adjacent ops of one kind merged."""
    if old == new:
        return [("=", old)] if old else []
    if not old:
        return [("+", new)]
    if not new:
        return [("-", old)]
    a, b = tokenize(old), tokenize(new)
    if len(a) + len(b) > LINE_FIRST_TOKENS:
        return _tidy(_diff_lines_then_words(old, new))
    # The unchanged head and tail cost nothing to find and shrink the work of the matcher.
    head = 0
    limit = min(len(a), len(b))
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < limit - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    ops: list[WordOp] = [("=", "".join(a[:head]))]
    ops += _diff_tokens(a[head:len(a) - tail], b[head:len(b) - tail])
    ops.append(("=", "".join(a[len(a) - tail:])))
    return _tidy(ops)


def _diff_tokens(a: Sequence[str], b: Sequence[str]) -> list[WordOp]:
    ops: list[WordOp] = []
    # autojunk off: in a clause, frequent tokens (spaces, "the") are exactly what must line up.
    for tag, i1, i2, j1, j2 in SequenceMatcher(str.isspace, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("=", "".join(a[i1:i2])))
        else:
            ops.append(("-", "".join(a[i1:i2])))
            ops.append(("+", "".join(b[j1:j2])))
    return ops


def _diff_lines_then_words(old: str, new: str) -> list[WordOp]:
    lines_a, lines_b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    ops: list[WordOp] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, lines_a, lines_b, autojunk=False).get_opcodes():
        chunk_a, chunk_b = "".join(lines_a[i1:i2]), "".join(lines_b[j1:j2])
        if tag == "equal":
            ops.append(("=", chunk_a))
            continue
        tokens_a, tokens_b = tokenize(chunk_a), tokenize(chunk_b)
        if len(tokens_a) * len(tokens_b) <= MAX_WORD_DIFF_CELLS:
            ops += _diff_tokens(tokens_a, tokens_b)
        else:
            ops += [("-", chunk_a), ("+", chunk_b)]
    return ops


def _tidy(ops: Sequence[WordOp]) -> list[WordOp]:
    """Ops as they are best read: see `_group`, then `_slide`."""
    return _slide(_group(ops, absorb_whitespace=True))


def _group(ops: Sequence[WordOp], *, absorb_whitespace: bool) -> list[WordOp]:
    """Drop empty ops; emit each run of changes as one deletion then one insertion; merge adjacent
    equal texts. With ``absorb_whitespace``, whitespace left unchanged between two changes joins
    the changes around it (``{-red-}{+blue+} {-car-}{+bus+}`` reads better as ``{-red car-}{+blue
    bus+}``)."""
    ops = [(op, text) for op, text in ops if text]
    out: list[WordOp] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append(("-", "".join(deleted)))
        if inserted:
            out.append(("+", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for k, (op, text) in enumerate(ops):
        if op == "-":
            deleted.append(text)
        elif op == "+":
            inserted.append(text)
        elif (
            absorb_whitespace and (deleted or inserted) and text.isspace()
            and k + 1 < len(ops) and ops[k + 1][0] != "="
        ):
            deleted.append(text)
            inserted.append(text)
        else:
            flush()
            if out and out[-1][0] == "=":
                out[-1] = ("=", out[-1][1] + text)
            else:
                out.append(("=", text))
    flush()
    return out


def _slide(ops: list[WordOp]) -> list[WordOp]:
    """Move each insertion or deletion that stands alone between two equal texts to where it reads
    best, without changing what it inserts or deletes: ``- one{++\n  two++}\n`` becomes
    ``- one\n{++  two\n++}``. The same idea as diff-match-patch's lossless semantic cleanup."""
    out = list(ops)
    for i in range(1, len(out) - 1):
        (before_op, before), (op, edit), (after_op, after) = out[i - 1], out[i], out[i + 1]
        if before_op != "=" or after_op != "=" or op == "=":
            continue
        # Slide as far left as the texts allow, then try every position rightwards.
        shift = _common_suffix(before, edit)
        if shift:
            before, edit, after = before[:-shift], before[-shift:] + edit[:-shift], edit[-shift:] + after
        best = (_boundary_score(before, edit) + _boundary_score(edit, after), before, edit, after)
        while after and edit[0] == after[0]:
            before, edit, after = before + edit[0], edit[1:] + after[0], after[1:]
            score = _boundary_score(before, edit) + _boundary_score(edit, after)
            if score >= best[0]:  # on a tie, the later place: edits then end lines, not start them
                best = (score, before, edit, after)
        _, before, edit, after = best
        out[i - 1], out[i], out[i + 1] = ("=", before), (op, edit), ("=", after)
    # Sliding may use up an equal text and bring two changes together: group them again.
    return _group(out, absorb_whitespace=False) if any(not text for _, text in out) else out


def _common_suffix(a: str, b: str) -> int:
    n = 0
    limit = min(len(a), len(b))
    while n < limit and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _boundary_score(left: str, right: str) -> int:
    """How natural a place the point between ``left`` and ``right`` is for an edit to start or end:
    the text's edges and blank lines best, then line breaks, sentence ends, spaces, punctuation."""
    if not left or not right:
        return 6
    a, b = left[-1], right[0]
    if left.endswith(("\n\n", "\n\r\n")) or right.startswith(("\n\n", "\r\n\r\n")):
        return 5
    if a in "\r\n" or b in "\r\n":
        return 4
    if not a.isalnum() and not a.isspace() and b.isspace():
        return 3
    if a.isspace() or b.isspace():
        return 2
    if not a.isalnum() or not b.isalnum():
        return 1
    return 0


@dataclass(frozen=True)
class ClauseDiff:
    """One clause of a diff: what it was, what it is, and the word ops between the two."""

    op: ClauseOp
    from_anchor: str | None
    to_anchor: str | None
    from_markdown: str | None  # None for an added clause
    to_markdown: str | None  # None for a removed clause
    words: tuple[WordOp, ...]
    whitespace_only: bool = False
    from_index: int | None = None  # position in the old version
    to_index: int | None = None  # position in the new version
    split_from: str | None = None  # added: anchor of the old clause it was split from
    merged_from: tuple[str | None, ...] = ()  # anchors of the other old clauses merged into this one
    merged_into: str | None = None  # removed: anchor of the new clause it was merged into

    @property
    def has_word_changes(self) -> bool:
        return any(op != "=" for op, _ in self.words)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "op": self.op,
            "from_anchor": self.from_anchor,
            "to_anchor": self.to_anchor,
            "from_markdown": self.from_markdown,
            "to_markdown": self.to_markdown,
            "words": [[op, text] for op, text in self.words],
            "whitespace_only": self.whitespace_only,
            "from_index": self.from_index,
            "to_index": self.to_index,
        }
        if self.split_from is not None:
            data["split_from"] = self.split_from
        if self.merged_from:
            data["merged_from"] = list(self.merged_from)
        if self.merged_into is not None:
            data["merged_into"] = self.merged_into
        return data


@dataclass(frozen=True)
class VersionDiff:
    """Every clause of two versions, once each, in reading order."""

    from_label: str
    to_label: str
    clauses: tuple[ClauseDiff, ...]

    @property
    def stats(self) -> dict[str, int]:
        counts = dict.fromkeys(OPS, 0)
        for clause in self.clauses:
            counts[clause.op] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return any(clause.op != "equal" for clause in self.clauses)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_label,
            "to": self.to_label,
            "stats": self.stats,
            "clauses": [clause.to_dict() for clause in self.clauses],
        }


def diff_versions(old: Sequence[ClauseRef], new: Sequence[ClauseRef], *, from_label: str, to_label: str) -> VersionDiff:
    """The redline between two versions given as clause lists (see the module notes)."""
    alignment = align(old, new)
    new_pairs = alignment.for_new()

    # A removed clause is shown after the new counterpart of the nearest old clause before it that
    # kept its place (a moved clause's counterpart is elsewhere: it would misplace the removal).
    moved = {p.new_index for p in new_pairs if p.moved}
    staying = {o: n for n, o in alignment.continuation_of().items() if n not in moved}
    removed = {p.old_index: p for p in alignment.removed()}
    removed_after: dict[int, list[ClauseDiff]] = defaultdict(list)  # new index (-1: the start) -> removed
    host = -1
    for o in range(len(old)):
        if o in staying:
            host = staying[o]
        elif o in removed:
            pair = removed[o]
            into = new[pair.merged_into].key if pair.merged_into is not None else None
            text = old[o].markdown
            removed_after[host].append(
                ClauseDiff("removed", old[o].key, None, text, None, _whole("-", text), from_index=o, merged_into=into)
            )

    clauses: list[ClauseDiff] = list(removed_after.get(-1, ()))
    for pair in new_pairs:
        n = pair.new_index
        assert n is not None
        b = new[n].markdown
        if pair.old_index is None:
            split = old[pair.split_from].key if pair.split_from is not None else None
            clauses.append(ClauseDiff("added", None, new[n].key, None, b, _whole("+", b), to_index=n, split_from=split))
        else:
            o = pair.old_index
            a = old[o].markdown
            op: ClauseOp = "moved" if pair.moved else ("equal" if a == b else "modified")
            words = _whole("=", a) if a == b else tuple(diff_text(a, b))
            clauses.append(
                ClauseDiff(
                    op, old[o].key, new[n].key, a, b, words,
                    whitespace_only=pair.whitespace_only,
                    from_index=o,
                    to_index=n,
                    merged_from=tuple(old[m].key for m in pair.merged_from),
                )
            )
        clauses.extend(removed_after.get(n, ()))
    return VersionDiff(from_label, to_label, tuple(clauses))


def diff_suggestion(clause_markdown: str, suggestion_markdown: str) -> ClauseDiff:
    """A proposed rewording against its clause, with the same word engine."""
    same = clause_markdown == suggestion_markdown
    return ClauseDiff(
        "equal" if same else "modified", None, None, clause_markdown, suggestion_markdown,
        tuple(diff_text(clause_markdown, suggestion_markdown)),
        whitespace_only=not same and fold(clause_markdown) == fold(suggestion_markdown),
    )


def _whole(op: str, text: str) -> tuple[WordOp, ...]:
    return ((op, text),) if text else ()
