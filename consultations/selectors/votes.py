"""Reads for votes (owned by the votes area)."""


def round_vote_context(user, round, clauses) -> dict:
    return {}
