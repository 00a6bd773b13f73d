"""Consolidation job tasks: set up a job's parts, compute each part, assemble the report, and the
periodic sweep that dispatches queued jobs and recovers abandoned work.

Why no Celery chord: a chord needs a result backend and a chord-unlock step that polls it, and it
loses its place if the worker holding the unlock dies. Here the database does the joining instead:
each ``consolidate_part`` stores its result and, in the same transaction, increments
``Job.parts_done`` with an F() expression; the one transaction that brings it to ``parts_total``
enqueues ``assemble_report`` (on commit). No result backend, nothing to poll, and the count is
exact because a part is counted only by the worker that still holds its claim. The same code runs
in eager mode (no Redis, ``make run``): the parts then run inline, one after another.

Every task takes ids, is idempotent (the services claim their work with conditional UPDATEs) and
is acknowledged late, so a worker killed mid-task leaves the message to be redelivered; a part whose
worker died is also reclaimed after its heartbeat goes stale (``dispatch_queued_jobs``).

Parts are one per clause plus one for the whole version. On the 1,000,000-comment bench the 301
parts spend 97 s in their phases (about a third of a second each) and finish in 54 s on two
workers, so claiming, heartbeats and storing results cost about a tenth; shards of several clauses
could save part of that, at the price of coarser retries after a failure.
"""
from __future__ import annotations

from celery import shared_task
from django.db import transaction

__all__ = ["consolidate_round", "consolidate_part", "assemble_report", "dispatch_queued_jobs"]


@shared_task(name="consultations.tasks.consolidate_round", ignore_result=True, acks_late=True)
def consolidate_round(job_id: int) -> int:
    """Start a queued job: create its parts and fan them out. Returns the number of parts sent."""
    from consultations.jobs import services

    try:
        part_ids = services.consolidation_setup(job_id)
    except Exception as exc:  # record why, instead of leaving the job queued for ever
        services.job_fail(job_id, f"Setting up the job failed: {type(exc).__name__}: {exc}")
        return 0

    def fan_out():
        for part_id in part_ids:
            consolidate_part.apply_async(args=[job_id, part_id])

    transaction.on_commit(fan_out)
    return len(part_ids)


@shared_task(name="consultations.tasks.consolidate_part", ignore_result=True, acks_late=True)
def consolidate_part(job_id: int, part_id: int) -> str:
    from consultations.jobs import services

    return services.consolidation_run_part(job_id, part_id)


@shared_task(name="consultations.tasks.assemble_report", ignore_result=True, acks_late=True)
def assemble_report(job_id: int) -> str:
    from consultations.jobs import services

    return services.consolidation_assemble(job_id)


@shared_task(name="consultations.tasks.dispatch_queued_jobs", ignore_result=True)
def dispatch_queued_jobs() -> dict:
    from consultations.jobs import services

    summary = services.jobs_dispatch_queued()
    return {key: value for key, value in summary.items() if value}
