"""The job state machine, part claims, heartbeats, stale recovery, re-runs and a broker that is down."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.jobs import analysis, services
from consultations.models import Job, JobPart, JobState, Report, RoundState
from consultations.tasks.jobs import dispatch_queued_jobs
from workbench.errors import Conflict, NotAllowed

pytestmark = pytest.mark.django_db


def _setup(round) -> Job:
    job = Job.objects.create(round=round)
    services.consolidation_setup(job.pk)
    job.refresh_from_db()
    return job


def test_a_job_runs_queued_running_succeeded_and_consolidates_the_round(closed_round, facilitator, run_job):
    job = run_job(closed_round, facilitator)
    assert job.state == JobState.SUCCEEDED
    assert job.parts_total == 1 + closed_round.version.clauses.count()
    assert job.parts_done == job.parts_total
    assert job.attempts == 1
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert set(job.timings) >= {"setup", "parts", "phases", "assemble", "total"}
    assert set(job.timings["phases"]) >= {"read", "duplicates", "themes", "suggestions", "tally"}
    assert job.input_fingerprint == analysis.round_fingerprint(closed_round)
    assert Report.objects.get(job=job).input_fingerprint == job.input_fingerprint
    closed_round.refresh_from_db()
    assert closed_round.state == RoundState.CONSOLIDATED


def test_transitions_only_move_forward(closed_round):
    job = Job.objects.create(round=closed_round)
    assert not services.job_succeed(job.pk, fingerprint="x", timings={})  # not running yet
    assert services.job_start(job.pk)
    assert not services.job_start(job.pk)  # a second worker gets nothing
    assert services.job_fail(job.pk, "boom")
    assert not services.job_start(job.pk)
    assert not services.job_succeed(job.pk, fingerprint="x", timings={})
    job.refresh_from_db()
    assert (job.state, job.error) == (JobState.FAILED, "boom")


def test_a_claimed_part_cannot_be_claimed_twice(closed_round):
    job = _setup(closed_round)
    part = job.parts.get(key="purpose")
    assert services.part_claim(part.pk, "worker-a")
    assert not services.part_claim(part.pk, "worker-b")
    part.refresh_from_db()
    assert (part.state, part.claimed_by) == (JobState.RUNNING, "worker-a")


def test_a_part_with_a_stale_heartbeat_can_be_reclaimed_and_the_dead_worker_counts_for_nothing(closed_round):
    job = _setup(closed_round)
    part = job.parts.get(key="purpose")
    assert services.part_claim(part.pk, "dead-worker")
    JobPart.objects.filter(pk=part.pk).update(claimed_at=timezone.now() - services.STALE_AFTER - timedelta(seconds=1))
    assert services.part_claim(part.pk, "new-worker")
    assert not services.part_heartbeat(part.pk, "dead-worker")
    assert not services.part_complete(part.pk, "dead-worker", {"late": True})
    job.refresh_from_db()
    assert job.parts_done == 0
    part.refresh_from_db()
    assert (part.state, part.claimed_by, part.result) == (JobState.RUNNING, "new-worker", None)


def test_a_fresh_heartbeat_keeps_the_claim(closed_round):
    job = _setup(closed_round)
    part = job.parts.get(key="purpose")
    services.part_claim(part.pk, "worker-a")
    later = timezone.now() + services.STALE_AFTER + timedelta(seconds=5)
    assert services.part_heartbeat(part.pk, "worker-a", now=later)
    assert not services.part_claim(part.pk, "worker-b", now=later)


def test_a_short_stale_interval_gets_heartbeats_often_enough_to_keep_a_live_claim(closed_round, monkeypatch):
    monkeypatch.setattr(services, "STALE_AFTER", timedelta(seconds=4))
    job = _setup(closed_round)
    part = job.parts.get(key="purpose")
    start = timezone.now()
    assert services.part_claim(part.pk, "worker-a", now=start)
    beat = services.Heartbeat(part.pk, job.pk, "worker-a")
    beat.last = start
    beat(now=start + timedelta(seconds=1.5))  # a phase ends: 1.5 s is over a quarter of 4 s, so it renews
    # 4.5 s after the claim, but 3 s after the heartbeat: the live worker keeps its part.
    assert not services.part_claim(part.pk, "worker-b", now=start + timedelta(seconds=4.5))
    assert JobPart.objects.get(pk=part.pk).claimed_by == "worker-a"


def test_abandoned_parts_are_recovered_and_the_job_then_succeeds(closed_round, django_capture_on_commit_callbacks):
    job = _setup(closed_round)
    for part in job.parts.all():
        services.part_claim(part.pk, "worker-killed-mid-job")
    JobPart.objects.filter(job=job).update(claimed_at=timezone.now() - services.STALE_AFTER - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        summary = services.jobs_recover_stale()
    assert sorted(summary["parts_reclaimed"]) == sorted(job.parts.values_list("pk", flat=True))
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.parts_done == job.parts_total
    assert not job.parts.exclude(claimed_by="").filter(claimed_by="worker-killed-mid-job").exists()


def test_a_failing_part_fails_the_job_with_its_error_and_a_rerun_succeeds(closed_round, facilitator, run_job, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    real = analysis.analyse_target

    def broken(drafting_round, anchor, **kwargs):
        if anchor == "purpose":
            raise RuntimeError("disk full")
        return real(drafting_round, anchor, **kwargs)

    monkeypatch.setattr(analysis, "analyse_target", broken)
    job = run_job(closed_round, facilitator)
    assert job.state == JobState.FAILED
    assert "clause #purpose" in job.error and "disk full" in job.error
    assert not Report.objects.filter(job=job).exists()
    assert job.parts.get(key="purpose").state == JobState.FAILED

    monkeypatch.setattr(analysis, "analyse_target", real)
    with django_capture_on_commit_callbacks(execute=True):
        services.job_rerun(actor=facilitator, job=job)
    job.refresh_from_db()
    assert (job.state, job.error, job.attempts) == (JobState.SUCCEEDED, "", 2)
    assert Report.objects.filter(job=job).exists()


def test_only_failed_or_stuck_jobs_can_be_rerun(closed_round, facilitator, stakeholder, run_job):
    job = run_job(closed_round, facilitator)
    with pytest.raises(Conflict):
        services.job_rerun(actor=facilitator, job=job)
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED)
    with pytest.raises(NotAllowed):
        services.job_rerun(actor=stakeholder, job=job)


def test_a_stuck_running_job_can_be_rerun(closed_round, facilitator, django_capture_on_commit_callbacks):
    job = _setup(closed_round)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - services.STALE_AFTER - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.job_rerun(actor=facilitator, job=job)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


def test_an_open_round_is_not_consolidated(open_round, facilitator):
    with pytest.raises(Conflict, match="only a closed round"):
        services.consolidation_request(actor=facilitator, round=open_round)
    assert not Job.objects.exists()


def test_only_facilitators_consolidate(closed_round, stakeholder):
    with pytest.raises(NotAllowed):
        services.consolidation_request(actor=stakeholder, round=closed_round)
    assert not Job.objects.exists()


def test_a_second_request_while_one_is_queued_returns_the_same_job(closed_round, facilitator):
    first = services.consolidation_request(actor=facilitator, round=closed_round)
    second = services.consolidation_request(actor=None, round=closed_round)
    assert first.pk == second.pk
    assert Job.objects.count() == 1


def test_closing_a_round_queues_its_consolidation(open_round, facilitator, groups, django_capture_on_commit_callbacks):
    from consultations.jobs import receivers  # noqa: F401  (the app connects it in ready())
    from consultations.services import rounds as round_services

    with django_capture_on_commit_callbacks(execute=True):
        round_services.round_close(actor=facilitator, round=open_round, notify=False)
    job = Job.objects.get(round=open_round)
    assert job.state == JobState.SUCCEEDED
    assert job.requested_by is None


# The app reads Django settings under the CELERY_ namespace: only the namespaced keys take effect
# (``app.conf.task_always_eager = False`` is silently ignored).
EAGER, BROKER = "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL"


@pytest.fixture
def dead_broker(monkeypatch):
    """Until undone, sending a consolidation really fails: it is published to a port nobody listens
    on. The app's own broker settings are left alone, so no other test inherits a broken pool."""
    from kombu import Connection

    from consultations.tasks.jobs import consolidate_round
    from workbench.celery import app

    real_apply_async = consolidate_round.apply_async

    def publish_to_a_dead_broker(*args, **kwargs):
        with Connection("redis://127.0.0.1:6390/0", connect_timeout=1) as dead:
            return real_apply_async(*args, connection=dead, **kwargs)

    monkeypatch.setattr(consolidate_round, "apply_async", publish_to_a_dead_broker)
    monkeypatch.setitem(app.conf, EAGER, False)
    return monkeypatch


def test_with_the_broker_down_the_job_stays_queued_and_is_sent_when_it_is_back(closed_round, facilitator,
                                                                              django_capture_on_commit_callbacks,
                                                                              dead_broker):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.consolidation_request(actor=facilitator, round=closed_round)
    dead_broker.undo()
    job.refresh_from_db()
    assert (job.state, job.dispatched_at) == (JobState.QUEUED, None)

    with django_capture_on_commit_callbacks(execute=True):
        dispatch_queued_jobs()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.dispatched_at is not None


def test_closing_a_round_with_the_broker_down_still_closes_it_and_queues_the_job(open_round, facilitator, groups,
                                                                                django_capture_on_commit_callbacks,
                                                                                dead_broker):
    from consultations.services import rounds as round_services

    with django_capture_on_commit_callbacks(execute=True):
        round_services.round_close(actor=facilitator, round=open_round, notify=False)
    dead_broker.undo()
    open_round.refresh_from_db()
    assert open_round.state == RoundState.CLOSED and open_round.closed_at is not None
    job = Job.objects.get(round=open_round)
    assert (job.state, job.dispatched_at, job.requested_by) == (JobState.QUEUED, None, None)

    with django_capture_on_commit_callbacks(execute=True):
        dispatch_queued_jobs()  # beat, once the broker is back
    job.refresh_from_db()
    open_round.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and open_round.state == RoundState.CONSOLIDATED


def test_dispatch_leaves_recently_sent_jobs_alone(closed_round, monkeypatch):
    job = Job.objects.create(round=closed_round, dispatched_at=timezone.now())
    sent = []
    monkeypatch.setattr(services, "job_dispatch", lambda job_id, now=None: sent.append(job_id) or True)
    services.jobs_dispatch_queued()
    assert sent == []
    Job.objects.filter(pk=job.pk).update(dispatched_at=timezone.now() - services.DISPATCH_GRACE - timedelta(seconds=1))
    services.jobs_dispatch_queued()
    assert sent == [job.pk]
