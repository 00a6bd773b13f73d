"""Demo votes on the demo rounds, so the bars and the results page show something: the demo users
alice, bob and carol, and 30 imported stakeholders (five per group) whose votes came from a town
hall. Round 1 (closed) gets its votes by import, as a meeting's votes would arrive; in round 2
(open) the demo users vote for themselves and the town hall's votes are imported. Positions are
drawn from a seeded generator with a leaning per clause and group, so every load gives the same
votes. A round that already has votes is left alone, so loading twice changes nothing."""
from __future__ import annotations

import csv
import io
import random

from definitions.models import Definition

from .models import DraftingRound, Vote
from .services import votes as vote_services

SLUG = "open-model-definition"

# Five people per group, all invented for the demo.
PEOPLE = {
    "developers": ["Ana Kovač", "Ben Oduya", "Chen Wei", "Dana Fischer", "Eli Haddad"],
    "civil-society": ["Farah Qureshi", "Gus Lindqvist", "Hana Sato", "Ivo Petrov", "Jade Morrison"],
    "industry": ["Kai Brandt", "Lucía Romero", "Mei Tanaka", "Nils Eriksen", "Omar Saleh"],
    "academia": ["Paula Nwosu", "Quentin Roy", "Rosa Almeida", "Sami Virtanen", "Tara Singh"],
    "legal": ["Uma Rao", "Victor Lange", "Wren Doyle", "Ximena Cruz", "Yusuf Demir"],
    "government": ["Zoe Martin", "Arjun Mehta", "Bea Novak", "Caio Ferreira", "Dora Kiss"],
}

# Round -> clause (found by text; '' = the whole version) -> chance of support by group (others 0.9).
# The rest of a voter's choice: mostly oppose, sometimes abstain.
LEANINGS = {
    1: {
        "": {"civil-society": 0.45, "academia": 0.6},
        "**Data information**": {"developers": 0.3, "civil-society": 0.2, "academia": 0.35, "industry": 0.75},
        "| Component": {"civil-society": 0.25, "academia": 0.4, "industry": 0.9},
        "**Share**": {"industry": 0.4},
        "**Parameters**": {"legal": 0.35},
    },
    2: {
        "": {"civil-society": 0.55},
        "**Data information**": {"civil-society": 0.7, "industry": 0.85},
        "| Component": {"civil-society": 0.2, "academia": 0.45, "developers": 0.55, "industry": 0.95, "legal": 0.6},
        "**Code**": {"industry": 0.6},
        "**Parameters**": {"legal": 0.7},
    },
}

# The demo users' own votes: round -> (user, clause text, position, rationale).
USER_VOTES = {
    1: [
        ("alice", "**Data information**", "oppose", ""),
        ("alice", "**Modify**", "support", ""),
        ("bob", "**Data information**", "oppose", ""),
        ("bob", "| Component", "oppose", ""),
        ("carol", "**Share**", "oppose", ""),
        ("carol", "", "support", ""),
    ],
    2: [
        ("alice", "**Data information**", "support", ""),
        ("alice", "", "support", ""),
        ("bob", "| Component", "block",
         "Training data must be required, not encouraged: without it nobody can study or audit a model."),
        ("bob", "**Data information**", "support", ""),
        ("carol", "| Component", "support", ""),
        ("carol", "**Share**", "support", ""),
    ],
}


def _anchors(version) -> list[tuple[str, str, str]]:
    return list(version.clauses.order_by("ordinal").values_list("anchor", "kind", "source_markdown"))


def _find(clauses, needle: str) -> str:
    if not needle:
        return ""
    for anchor, _kind, source in clauses:
        if needle in source:
            return anchor
    raise LookupError(f"no clause contains {needle!r}")


def _town_hall_csv(number: int, clauses) -> tuple[bytes, int]:
    leanings = {_find(clauses, needle): by_group for needle, by_group in LEANINGS[number].items()}
    targets = [""] + [anchor for anchor, kind, _ in clauses if kind != "heading"]
    rng = random.Random(f"demo-votes-round-{number}")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["voter", "group", "anchor", "position", "rationale"])
    rows = 0
    for group, people in PEOPLE.items():
        for person in people:
            for anchor in targets:
                if rng.random() > 0.8:  # not everyone votes on everything
                    continue
                support = leanings.get(anchor, {}).get(group, 0.9)
                draw = rng.random()
                if draw < support:
                    position = "support"
                elif draw < support + (1 - support) * 0.8:
                    position = "oppose"
                else:
                    position = "abstain"
                writer.writerow([person, group, anchor, position, ""])
                rows += 1
    return out.getvalue().encode("utf-8"), rows


def _user_rows(number: int, clauses, users) -> list[tuple]:
    return [(users[name], _find(clauses, needle), position, rationale)
            for name, needle, position, rationale in USER_VOTES[number]]


def load(*, users, groups) -> list[str]:
    definition = Definition.objects.filter(slug=SLUG).first()
    rounds = {r.number: r for r in DraftingRound.objects.filter(definition=definition, number__in=[1, 2])} if definition else {}
    if not rounds:
        return ["demo votes skipped: the demo rounds are not there"]
    if any(slug not in groups for slug in PEOPLE):
        return ["demo votes skipped: the six demo stakeholder groups are not all there"]
    summary = []
    for number in (1, 2):
        round = rounds.get(number)
        if round is None:
            summary.append(f"demo votes: no round {number}")
            continue
        if Vote.objects.filter(round=round).exists():
            summary.append(f"round {number}: {Vote.objects.filter(round=round).count()} votes (already there)")
            continue
        if round.state not in vote_services.IMPORTABLE_STATES:
            summary.append(f"round {number} is {round.state}: no demo votes")
            continue
        clauses = _anchors(round.version)
        data, _rows = _town_hall_csv(number, clauses)
        own = _user_rows(number, clauses, users)
        if round.state == "open":
            for user, anchor, position, rationale in own:
                vote_services.vote_cast(actor=user, round=round, anchor=anchor, position=position, rationale=rationale)
        else:
            # A closed round takes no new votes from people; the facilitators record them by import.
            extra = io.StringIO()
            writer = csv.writer(extra)
            for user, anchor, position, rationale in own:
                writer.writerow([user.username, "", anchor, position, rationale])
            data += extra.getvalue().encode("utf-8")
        result = vote_services.vote_import(actor=None, round=round, file_bytes=data, filename=f"town-hall-round-{number}.csv")
        summary.append(f"round {number}: {Vote.objects.filter(round=round).count()} votes "
                       f"({result.created} imported, {result.stakeholders_created} new imported stakeholders)")
    return summary
