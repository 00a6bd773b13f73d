"""Reads for consolidation jobs and reports (owned by the reports area)."""


def round_job_context(user, round) -> dict:
    return {}
