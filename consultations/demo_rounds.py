"""Demo rounds on the demo definition: round 1 on 0.1, closed, with comments (some from the demo
users, some that arrived from a town hall and the forum) answered by the facilitators; round 2 on
0.2, open for two more weeks, with a few comments. Loading twice changes nothing."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.utils import timezone

from definitions.models import Definition
from workbench.models import Stakeholder

from .models import DraftingRound, RoundState
from .services import comment_io, comments, rounds

SLUG = "open-model-definition"

# Round 1 on 0.1: (key, author, group, clause found by text ('' = whole version), stance, body,
# suggestion, days before now, parent key, disposition, response). Authors alice, bob and carol are
# the demo users; the others arrived through other channels and become imported stakeholders.
ROUND_1 = [
    ("r1-01", "alice", "developers", "**Data information**", "oppose",
     "\"A description of the training data\" could be a single sentence. Nobody could rebuild or even "
     "audit a model from that. Please set a bar that can be checked.",
     "- **Data information**: sufficiently detailed information about the training data that a skilled person "
     "could build a substantially equivalent system.", 70, "", "accepted",
     "Accepted. Draft 0.2 adopts the \"skilled person could build a substantially equivalent system\" test."),
    ("r1-02", "bob", "civil-society", "**Data information**", "concern",
     "Communities affected by a model need to check the data for bias and for personal information. "
     "Information *about* the data is a weak substitute for the data.",
     "", 69, "", "partially-accepted",
     "Partly. 0.2 lists training data as encouraged in the checklist; whether to require it is on the ballot in round 2."),
    ("r1-03", "carol", "industry", "**Data information**", "concern",
     "Many useful models are trained on licensed corpora that cannot be redistributed. Detailed data cards we can "
     "publish; the corpora themselves we cannot.",
     "", 68, "", "deferred", "Deferred to round 2, where the data requirement is voted on by every group."),
    ("r1-04", "bob", "civil-society", "**Data information**", "neutral",
     "Agreed with the comment above: the bar needs to be testable.", "", 67, "r1-01", "accepted",
     "See the answer to the comment above."),
    ("r1-05", "Dr. Ines Moreau", "academia", "| Component", "question",
     "Does \"To be decided\" for training data mean this row will be settled before 1.0?", "", 66, "", "accepted",
     "Yes. 0.2 settles it as \"Encouraged\" and adds a row for data information."),
    ("r1-06", "alice", "developers", "**Modify**", "support",
     "Good that changing outputs is spelled out. It should also say \"for any purpose\", like Use does.",
     "- **Modify** the system for any purpose, including to change its outputs.", 65, "", "accepted",
     "Accepted in 0.2."),
    ("r1-07", "carol", "industry", "**Share**", "oppose",
     "Sharing should allow field-of-use restrictions for safety, e.g. no use in weapons.", "", 64, "", "rejected",
     "Not accepted: an open model cannot restrict fields of endeavour. Safety guidance can accompany a model "
     "without being a condition of its licence."),
    ("r1-08", "Kwame Mensah", "government", "", "question",
     "How is this definition meant to interact with public procurement rules that prefer open source?", "", 63, "",
     "out-of-scope", "Out of scope for the text itself; we will publish a separate note for public buyers."),
    ("r1-09", "Lena Ortiz", "legal", "**Parameters**", "concern",
     "\"The model weights\" says nothing about terms. Weights under a restrictive licence would pass this line.",
     "- **Parameters**: the model weights, under open terms.", 62, "", "partially-accepted",
     "0.2 requires open terms for the weights; what counts as open terms goes into the checklist."),
    ("r1-10", "alice", "developers", "**Code**", "concern",
     "Training code without the data-processing pipeline is not enough to reproduce a model.",
     "- **Code**: the complete code used to train and run the system, under an open licence.", 61, "", "accepted",
     "Accepted: 0.2 asks for the complete code, under an open licence."),
    ("r1-11", "Priya Raman", "academia", "**Study**", "support",
     "\"Inspect its components\" is clearer than \"parts\" and matches the checklist.",
     "- **Study** how the system works and inspect its components.", 60, "", "accepted", "Accepted in 0.2."),
    ("r1-12", "bob", "civil-society", "This draft proposes", "neutral",
     "Please say in the text that every stakeholder group is invited to comment, not only developers.",
     "This draft proposes what a system must make available before it can be called an open model, and invites "
     "every stakeholder group to comment on it.", 59, "", "accepted", "Accepted in 0.2."),
    ("r1-13", "carol", "industry", "", "support",
     "Overall a workable basis that companies could adopt.", "", 58, "", "accepted", "Noted with thanks."),
    ("r1-14", "Tomás Silva", "civil-society", "| Component", "oppose",
     "Training data should be required, not optional. Otherwise \"open\" means little for study.", "", 57, "",
     "deferred", "Deferred to round 2, where this row is put to a vote."),
    ("r1-15", "alice", "developers", "**Parameters**", "question",
     "Would a patent grant in the weights licence be enough to count as open terms?", "", 56, "r1-09", "", ""),
]

# Round 2 on 0.2: (author, clause text, stance, body, reply to index).
ROUND_2 = [
    ("alice", "**Data information**", "support",
     "The reproducibility test is a real improvement. The example sub-item helps too.", None),
    ("bob", "| Component", "oppose",
     "\"Encouraged\" is still not enough for training data; I will vote to require it.", None),
    ("carol", "| Component", "concern",
     "Requiring training data would exclude every model trained on licensed text, including ours.", 1),
    ("carol", "**Share**", "support", "The added \"for any purpose\" is clear, and we can live with it.", None),
]


def _anchor(version, needle: str) -> str:
    if not needle:
        return ""
    for anchor, source in version.clauses.order_by("ordinal").values_list("anchor", "source_markdown"):
        if needle in source:
            return anchor
    raise LookupError(f"no clause of {version} contains {needle!r}")


def _round_1_csv(version, now) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "author", "group", "anchor", "stance", "body", "suggestion", "created_at",
                     "parent", "disposition", "response"])
    for key, author, group, needle, stance, body, suggestion, days, parent, disposition, response in ROUND_1:
        when = (now - timedelta(days=days)).replace(microsecond=0).isoformat()
        writer.writerow([f"demo:{key}", author, group, _anchor(version, needle), stance, body, suggestion, when,
                         f"demo:{parent}" if parent else "", disposition, response])
    return out.getvalue().encode("utf-8")


def load(*, users, groups) -> list[str]:
    definition = Definition.objects.filter(slug=SLUG).first()
    if definition is None:
        return ["demo rounds skipped: no demo definition"]
    facilitator = users["facilitator"]
    v01 = definition.versions.get(label="0.1")
    v02 = definition.versions.get(label="0.2")
    now = timezone.now()
    summary = []

    round1 = DraftingRound.objects.filter(definition=definition, version=v01).first()
    if round1 is None:
        round1 = rounds.round_create(
            actor=facilitator, definition=definition, version=v01, title="First draft for comment",
            description="Comment on each clause of draft 0.1 and vote on whether it is ready. Comments from the "
                        "town hall and the forum are imported here too, so every comment gets an answer.",
            opens_at=now - timedelta(days=75), closes_at=now - timedelta(days=45),
            quorum=3, threshold="2/3", blocks_prevent_consensus=True, require_every_group=False, public_votes=True,
        )
    if round1.state == RoundState.SCHEDULED:
        rounds.round_open(actor=facilitator, round=round1, now=round1.opens_at, notify=False)
    result = comment_io.comments_import(actor=facilitator, round=round1, data=_round_1_csv(v01, now),
                                        filename="round-1-demo.csv")
    round1.refresh_from_db()
    if round1.state == RoundState.OPEN:
        rounds.round_close(actor=facilitator, round=round1, now=round1.closes_at, notify=False)
    summary.append(f"round 1 on 0.1 (closed): {round1.comments.count()} comments ({result.created} new)")

    round2 = DraftingRound.objects.filter(definition=definition, version=v02).first()
    if round2 is None:
        round2 = rounds.round_create(
            actor=facilitator, definition=definition, version=v02, title="Second draft: data information",
            description="Draft 0.2 answers round 1. The open question is whether training data should be required.",
            opens_at=now - timedelta(days=2), closes_at=now + timedelta(days=14),
            quorum=3, threshold="2/3", blocks_prevent_consensus=True, require_every_group=True, public_votes=False,
        )
    if round2.state == RoundState.SCHEDULED:
        round2 = rounds.round_open(actor=facilitator, round=round2, now=max(round2.opens_at, now - timedelta(days=2)), notify=False)
    made = 0
    if round2.state == RoundState.OPEN and not round2.comments.exists():
        posted = []
        for author, needle, stance, body, reply_to in ROUND_2:
            parent = posted[reply_to] if reply_to is not None else None
            comment = comments.comment_create(
                actor=users[author], round=round2, anchor="" if parent else _anchor(v02, needle), body=body,
                stance=stance, parent=parent,
            )
            posted.append(comment)
            made += 1
    summary.append(f"round 2 on 0.2 ({round2.state}): {round2.comments.count()} comments ({made} new)")
    imported = Stakeholder.objects.filter(comments__round=round1, user__isnull=True).distinct().count()
    summary.append(f"{imported} imported stakeholders in round 1")
    return summary
