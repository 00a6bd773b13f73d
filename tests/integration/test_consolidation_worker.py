"""A consolidation job through a real Celery worker on Redis and PostgreSQL: it ends succeeded with
the same artifacts as an in-process run, also when a worker dies holding parts of the job."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from consultations.jobs import services
from consultations.models import DraftingRound, Job, JobPart, JobState, Report, RoundState

from ..consultations.jobs.conftest import build_round_data, close_quietly
from ..consultations.rounds_factories import V1, V2, make_definition, make_round, make_version
from .worker import real_worker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def wait_for_end(job_id: int, timeout: float = 90.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        close_old_connections()
        job = Job.objects.get(pk=job_id)
        if job.state in (JobState.SUCCEEDED, JobState.FAILED):
            return job
        time.sleep(0.2)  # polling the Job row the worker updates; bounded by the deadline
    raise AssertionError(f"job {job_id} did not end within {timeout} s: {Job.objects.get(pk=job_id).state}")


@pytest.fixture
def round_with_data(facilitator, groups):
    definition = make_definition()
    v1 = make_version(definition, "0.1", V1)
    make_version(definition, "0.2", V2, previous=v1)
    round = make_round(facilitator, v1)
    build_round_data(round, groups)
    return close_quietly(round)


def _eager_report(round) -> Report:
    job = services.consolidation_request(actor=None, round=round)  # no transaction: on_commit runs now
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    DraftingRound.objects.filter(pk=round.pk).update(state=RoundState.CLOSED)
    return Report.objects.get(job=job)


def test_a_real_worker_produces_the_same_report_as_an_eager_run(round_with_data):
    from django.db import connection

    assert connection.vendor == "postgresql"
    eager = _eager_report(round_with_data)
    with real_worker(concurrency=2):
        job = services.consolidation_request(actor=None, round=round_with_data)
        job = wait_for_end(job.pk)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.parts_done == job.parts_total == 5
    claimers = set(JobPart.objects.filter(job=job).values_list("claimed_by", flat=True))
    assert all(claimers)
    report = Report.objects.get(job=job)
    assert (report.json, report.markdown, report.html) == (eager.json, eager.markdown, eager.html)


def test_parts_abandoned_by_a_dead_worker_are_recovered_by_a_new_worker(round_with_data):
    eager = _eager_report(round_with_data)
    # A worker took the job, claimed two parts and died: its heartbeat stops.
    job = Job.objects.create(round=round_with_data)
    services.consolidation_setup(job.pk)
    dead = list(JobPart.objects.filter(job=job).order_by("pk")[:2])
    for part in dead:
        assert services.part_claim(part.pk, "worker-killed-with-sigkill")
    JobPart.objects.filter(pk__in=[p.pk for p in dead]).update(
        claimed_at=timezone.now() - services.STALE_AFTER - timedelta(seconds=1)
    )
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - services.STALE_AFTER - timedelta(seconds=1))
    with real_worker(concurrency=2):
        summary = services.jobs_dispatch_queued()  # what beat runs every minute
        assert sorted(summary["parts_reclaimed"]) == sorted(p.pk for p in dead)
        job = wait_for_end(job.pk)
    assert job.state == JobState.SUCCEEDED, job.error
    assert not JobPart.objects.filter(job=job, claimed_by="worker-killed-with-sigkill").exists()
    report = Report.objects.get(job=job)
    assert (report.json, report.markdown, report.html) == (eager.json, eager.markdown, eager.html)
