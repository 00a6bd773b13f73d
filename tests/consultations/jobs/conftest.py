"""Fixtures for the consolidation tests: a closed round on our own small definition, with planted
form letters, two topics, suggestions, dispositions, hidden and withdrawn comments, and votes."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.models import Comment, DraftingRound, RoundState, Vote
from workbench.models import Stakeholder, StakeholderGroup

from ..rounds_factories import definition, open_round, v1, v2  # noqa: F401 (fixtures, shared)

FORM_LETTER = (
    "As a member of the open model community I urge the drafters to require that the complete training data "
    "be published alongside every model, so that anyone can study, reproduce and improve the system without "
    "asking permission from the original developer."
)
DATA_TOPIC = [
    "The training data should be published in full with documentation of provenance and collection.",
    "Without the datasets nobody can reproduce the training; publish the data and its provenance.",
    "Dataset provenance matters: publish where the training data came from and how it was collected.",
    "Publishing training data lets researchers audit datasets for bias and provenance problems.",
    "Require the datasets used for training, or at least detailed data provenance documentation.",
]
LICENCE_TOPIC = [
    "The licence must not restrict fields of use; usage restrictions in licence terms are not open.",
    "Licence terms with acceptable use restrictions discriminate against fields of endeavour.",
    "Any licence that restricts commercial use fails the open terms test; drop the usage restrictions.",
    "Open licence terms cannot carry field of use restrictions or commercial restrictions.",
    "A licence with usage restrictions should never qualify; restrictions on use are the problem.",
]
SUGGESTION = "This definition explains what a sample is and why it matters."


def _stakeholder(key: str, group: StakeholderGroup | None) -> Stakeholder:
    return Stakeholder.objects.create(display_name=key.title(), group=group, import_key=f"test-{key}")


def build_round_data(round: DraftingRound, groups: dict) -> dict:
    """Comments and votes on ``round`` (any state), written with the ORM. Returns the ids by role."""
    now = timezone.now()
    people = [_stakeholder(f"p{i}", [groups["developers"], groups["civil-society"], groups["industry"]][i % 3]) for i in range(14)]
    people.append(_stakeholder("loner", None))
    ids: dict = {"campaign": [], "data": [], "licence": [], "suggestions": [], "other_suggestion": None}
    seq = iter(range(10_000))

    def comment(author, body, *, anchor="purpose", **fields):
        return Comment.objects.create(round=round, anchor=anchor, author=author, body=body,
                                      created_at=now - timedelta(minutes=100 - next(seq)), **fields)

    edits = ["", " Thank you.", " Please reconsider.", " Signed, a developer.", " This matters to me.", " Regards."]
    for i, tail in enumerate(edits):
        ids["campaign"].append(comment(people[i], FORM_LETTER + tail, stance="concern").pk)
    for i, text in enumerate(DATA_TOPIC):
        ids["data"].append(comment(people[i + 3], text, stance="oppose").pk)
    for i, text in enumerate(LICENCE_TOPIC):
        ids["licence"].append(comment(people[i + 6], text, stance="support").pk)
    ids["suggestions"].append(comment(people[9], "Say why it matters.", stance="support", suggestion=SUGGESTION,
                                      disposition="accepted", response="Adopted in 0.2.").pk)
    ids["suggestions"].append(comment(people[10], "Agree, say why.", stance="support", suggestion=SUGGESTION + "  ",
                                      disposition="partially-accepted", response="Adopted in part.").pk)
    ids["suggestions"].append(comment(people[11], "Same here.", stance="support", suggestion=SUGGESTION.lower()).pk)
    ids["other_suggestion"] = comment(people[12], "Shorter, please.", stance="question", suggestion="A sample is defined here.",
                                      disposition="rejected", response="We keep the longer text.").pk
    ids["hidden"] = comment(people[13], "Buy cheap watches now", hidden=True, hidden_reason="spam").pk
    ids["withdrawn"] = comment(people[13], "I take this back.", withdrawn_at=now).pk
    ids["whole"] = [comment(people[14], "The whole draft reads well.", anchor="", stance="support").pk,
                    comment(people[0], "Too long overall.", anchor="", stance="concern").pk]
    ids["criteria"] = [comment(people[1], "Small is relative.", anchor="criteria-li1", stance="question").pk]
    positions = ["support", "support", "support", "support", "support", "oppose", "abstain"]
    for person, position in zip(people, positions):
        Vote.objects.create(round=round, anchor="purpose", voter=person, group=person.group, position=position)
    for person in people[:3]:
        Vote.objects.create(round=round, anchor="", voter=person, group=person.group, position="support")
    Vote.objects.create(round=round, anchor="criteria-li1", voter=people[4], group=people[4].group, position="block",
                        rationale="Small is not a criterion that can be checked.")
    ids["people"] = people
    return ids


def close_quietly(round: DraftingRound) -> DraftingRound:
    """Close without the round_closed signal (tests start their own jobs)."""
    DraftingRound.objects.filter(pk=round.pk).update(state=RoundState.CLOSED, closed_at=timezone.now())
    round.refresh_from_db()
    return round


@pytest.fixture
def closed_round(open_round, groups):
    data = build_round_data(open_round, groups)
    round = close_quietly(open_round)
    round.test_ids = data
    return round


@pytest.fixture
def run_job(django_capture_on_commit_callbacks):
    """Request a consolidation and run it to the end in-process (eager tasks, on-commit callbacks run)."""
    from consultations.jobs import services
    from consultations.models import Job

    def run(round, actor=None) -> Job:
        with django_capture_on_commit_callbacks(execute=True):
            job = services.consolidation_request(actor=actor, round=round)
        job.refresh_from_db()
        return job

    return run
