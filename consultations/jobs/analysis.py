"""The work of one part of a consolidation: everything the report says about one target (a clause,
or the version as a whole), computed from the visible comments and the votes on it.

Rows are read once, in id order, as tuples in chunks (no model instances); the same pass feeds the
part's input digest, so the job's fingerprint is the hash of exactly what the report was built from.
Then: duplicates -> themes on the deduplicated comments -> suggestions merged and redlined against
the clause -> stance counts -> participation -> the tally. The result is a JSON-able dict stored in
``JobPart.result``; its ``timings`` entry is stripped before the report is assembled.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections import Counter, defaultdict
from typing import Callable

from django.db.models import Count, Exists, OuterRef, Q

from definitions.engine.diff import diff_suggestion
from definitions.engine.redline import clause_to_html, clause_to_markdown
from workbench.models import Stakeholder

from ..engine.duplicates import dedupe_for_themes, find_duplicate_groups
from ..engine.suggestions import merge_suggestions
from ..engine.tally import UNAFFILIATED, tally_counts
from ..engine.themes import find_themes
from ..models import WHOLE_VERSION, Comment, Disposition, DraftingRound, Position, Stance, Vote

__all__ = ["DISPOSITION_ORDER", "part_keys", "analyse_target", "round_aggregates", "round_fingerprint",
           "combine_fingerprint", "target_digest"]

CHUNK = 5000
MAX_THEMES = 8
PENDING = "pending"
ACCEPTING = (Disposition.ACCEPTED.value, Disposition.PARTIALLY_ACCEPTED.value)
DISPOSITION_ORDER = [PENDING] + [value for value, _ in Disposition.choices if value]
VISIBLE = Q(hidden=False, withdrawn_at__isnull=True)


def part_keys(round: DraftingRound) -> list[str]:
    """The whole version first, then every clause of the round's version in document order."""
    from definitions.models import Clause

    anchors = Clause.objects.filter(version_id=round.version_id).order_by("ordinal").values_list("anchor", flat=True)
    return [WHOLE_VERSION, *anchors]


def _field(value) -> bytes:
    text = "" if value is None else str(value)
    data = text.encode("utf-8")
    return str(len(data)).encode() + b":" + data


def _comment_rows(round_id: int, anchor: str):
    return (
        Comment.objects.filter(VISIBLE, round_id=round_id, anchor=anchor)
        .order_by("pk")
        .values_list("pk", "author_id", "author__group__slug", "body", "stance", "suggestion", "disposition", "response")
        .iterator(chunk_size=CHUNK)
    )


def _vote_rows(round_id: int, anchor: str):
    return (
        Vote.objects.filter(round_id=round_id, anchor=anchor)
        .order_by("voter_id")
        .values_list("voter_id", "group__slug", "position")
        .iterator(chunk_size=CHUNK)
    )


def _chunks(rows, size: int = CHUNK):
    """Lists of up to ``size`` rows: the same rows in the same order always give the same chunks."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Digest:
    """sha256 over exactly the rows a part is computed from. Each chunk of rows is hashed as one
    JSON array (unambiguous, and encoded in C: per-field Python encoding cost more than the rest of
    reading at a million comments)."""

    def __init__(self, anchor: str):
        self.hash = hashlib.sha256(b"target\x00" + _field(anchor))

    def comments(self, rows: list[tuple]) -> None:
        """Rows as ``_comment_rows`` gives them; the author and their group are not part of the
        input (the report counts them, but a comment's words and handling are what it is about)."""
        fields = [(pk, body, stance, suggestion, disposition, response)
                  for pk, _author, _group, body, stance, suggestion, disposition, response in rows]
        self.hash.update(b"c" + json.dumps(fields, separators=(",", ":")).encode("ascii"))

    def votes(self, rows: list[tuple]) -> None:
        """Rows of (voter_id, group slug, position)."""
        self.hash.update(b"v" + json.dumps(rows, separators=(",", ":")).encode("ascii"))

    def hexdigest(self) -> str:
        return self.hash.hexdigest()


def target_digest(round_id: int, anchor: str) -> str:
    """The input digest of one target, read on its own (what ``analyse_target`` computes on the way)."""
    digest = _Digest(anchor)
    for chunk in _chunks(_comment_rows(round_id, anchor)):
        digest.comments(chunk)
    for chunk in _chunks(_vote_rows(round_id, anchor)):
        digest.votes(chunk)
    return digest.hexdigest()


def combine_fingerprint(*, rule: dict, version_hash: str, later_version_hash: str, digests: dict[str, str]) -> str:
    h = hashlib.sha256(b"workbench-consolidation/2\x00")
    h.update(_field(json.dumps(rule, sort_keys=True)))
    h.update(_field(version_hash) + _field(later_version_hash))
    for key in sorted(digests):
        h.update(_field(key) + _field(digests[key]))
    return h.hexdigest()


def round_fingerprint(round: DraftingRound, later_version_hash: str = "") -> str:
    """The job's input fingerprint computed straight from the database (tests and checks use it)."""
    from ..selectors.votes import rule_dict

    digests = {key: target_digest(round.pk, key) for key in part_keys(round)}
    return combine_fingerprint(rule=rule_dict(round), version_hash=round.version.content_hash,
                               later_version_hash=later_version_hash, digests=digests)


def _participation(commenters: dict[str, set], comments: Counter, voters: dict[str, set]) -> dict:
    groups = sorted(set(commenters) | set(voters))
    by_group = {}
    for slug in groups:
        c, v = commenters.get(slug, set()), voters.get(slug, set())
        by_group[slug] = {"stakeholders": len(c | v), "commenters": len(c), "comments": comments.get(slug, 0),
                          "voters": len(v), "votes": len(v)}
    all_c = set().union(*commenters.values()) if commenters else set()
    all_v = set().union(*voters.values()) if voters else set()
    return {"stakeholders": len(all_c | all_v), "commenters": len(all_c), "comments": sum(comments.values()),
            "voters": len(all_v), "votes": sum(len(v) for v in voters.values()), "by_group": by_group}


def analyse_target(drafting_round: DraftingRound, anchor: str, *, clause_markdown: str, rule, heartbeat: Callable[[], None] | None = None) -> dict:
    """Everything the report says about one target, as a JSON-able dict (see the module docstring)."""
    beat = heartbeat or (lambda: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    digest = _Digest(anchor)
    texts: list[tuple[int, str]] = []
    suggestions: list[tuple[int, str]] = []
    stances = Counter({value: 0 for value in Stance.values})
    commenters: dict[str, set] = defaultdict(set)
    comment_counts: Counter = Counter()
    dispositions: dict[tuple[str, str], list[int]] = defaultdict(list)
    accepted: list[int] = []
    for chunk in _chunks(_comment_rows(drafting_round.pk, anchor)):
        digest.comments(chunk)
        for pk, author_id, group, body, stance, suggestion, disposition, response in chunk:
            texts.append((pk, body))
            if suggestion and suggestion.strip():
                suggestions.append((pk, suggestion))
            stances[stance] += 1
            slug = group or UNAFFILIATED
            commenters[slug].add(author_id)
            comment_counts[slug] += 1
            dispositions[(disposition or PENDING, response)].append(pk)
            if disposition in ACCEPTING:
                accepted.append(pk)
        beat()
    voters: dict[str, set] = defaultdict(set)
    vote_counts: Counter = Counter()
    for chunk in _chunks(_vote_rows(drafting_round.pk, anchor)):
        digest.votes(chunk)
        for voter_id, group, position in chunk:
            voters[group or UNAFFILIATED].add(voter_id)
            vote_counts[(group, position)] += 1
    timings["read"] = time.perf_counter() - started
    beat()

    t = time.perf_counter()
    groups = find_duplicate_groups(texts)
    timings["duplicates"] = time.perf_counter() - t
    beat()

    t = time.perf_counter()
    themes = find_themes(dedupe_for_themes(texts, groups), max_themes=MAX_THEMES)
    timings["themes"] = time.perf_counter() - t
    del texts
    beat()

    t = time.perf_counter()
    merged = []
    for group in merge_suggestions(suggestions):
        redline = diff_suggestion(clause_markdown, group.markdown)
        merged.append({
            "markdown": group.markdown,
            "comment_ids": group.comment_ids,
            "redline": clause_to_markdown(redline),
            "redline_html": clause_to_html(redline),
        })
    timings["suggestions"] = time.perf_counter() - t
    beat()

    t = time.perf_counter()
    target = anchor or None
    tally = tally_counts(
        [(target, group, position, n) for (group, position), n in sorted(vote_counts.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))],
        rule, targets=[target],
    )[0].to_dict()
    order = {value: i for i, value in enumerate(DISPOSITION_ORDER)}
    table = [
        {"disposition": disposition, "response": response, "comment_ids": ids}
        for (disposition, response), ids in sorted(dispositions.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[1][0]))
    ]
    result = {
        "anchor": target,
        "digest": digest.hexdigest(),
        "participation": _participation(commenters, comment_counts, voters),
        "tally": tally,
        "stances": dict(stances),
        "duplicate_groups": [g.to_dict() for g in groups],
        "themes": [theme.to_dict() for theme in themes],
        "suggestions": merged,
        "dispositions": table,
        "accepted_comment_ids": sorted(accepted),
    }
    timings["tally"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    result["timings"] = {key: round(value, 4) for key, value in timings.items()}
    return result


def round_aggregates(round: DraftingRound) -> dict:
    """Round-wide figures that cannot be summed from the parts (distinct people across targets),
    each from one aggregate query."""
    comments = Comment.objects.filter(VISIBLE, round_id=round.pk)
    votes = Vote.objects.filter(round_id=round.pk)
    by_group: dict[str, dict] = defaultdict(lambda: {"stakeholders": 0, "commenters": 0, "comments": 0, "voters": 0, "votes": 0})
    for row in comments.order_by().values("author__group__slug").annotate(n=Count("pk"), people=Count("author_id", distinct=True)):
        slot = by_group[row["author__group__slug"] or UNAFFILIATED]
        slot["comments"], slot["commenters"] = row["n"], row["people"]
    for row in votes.order_by().values("group__slug").annotate(n=Count("pk"), people=Count("voter_id", distinct=True)):
        slot = by_group[row["group__slug"] or UNAFFILIATED]
        slot["votes"], slot["voters"] = row["n"], row["people"]
    took_part = Stakeholder.objects.filter(
        Exists(comments.filter(author_id=OuterRef("pk"))) | Exists(votes.filter(voter_id=OuterRef("pk")))
    )
    for row in took_part.order_by().values("group__slug").annotate(n=Count("pk")):
        by_group[row["group__slug"] or UNAFFILIATED]["stakeholders"] = row["n"]
    totals = comments.aggregate(comments=Count("pk"), commenters=Count("author_id", distinct=True))
    totals.update(votes.aggregate(votes=Count("pk"), voters=Count("voter_id", distinct=True)))
    totals["stakeholders"] = sum(slot["stakeholders"] for slot in by_group.values())
    stances = {value: 0 for value in Stance.values}
    for stance, n in comments.order_by().values_list("stance").annotate(n=Count("pk")):
        stances[stance] = n
    disposition_counts = {value: 0 for value in DISPOSITION_ORDER}
    for disposition, n in comments.order_by().values_list("disposition").annotate(n=Count("pk")):
        disposition_counts[disposition or PENDING] += n
    positions = {value: 0 for value in Position.values}
    for position, n in votes.order_by().values_list("position").annotate(n=Count("pk")):
        positions[position] = n
    return {
        "participation": {**totals, "by_group": {slug: by_group[slug] for slug in sorted(by_group)}},
        "stances": stances,
        "dispositions": disposition_counts,
        "positions": positions,
    }
