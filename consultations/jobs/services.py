"""Consolidation jobs: requesting one, dispatching it to the broker, and the state machine that
keeps the Job row (not Celery's result store) the source of truth.

States move only forward and only by conditional UPDATEs (``filter(pk=..., state=...).update()``;
0 rows means another worker got there first): queued -> running -> succeeded | failed. A part is
claimed the same way, and a claim is renewed by the worker's heartbeat (``claimed_at``), so a part
whose worker died (heartbeat older than ``STALE_AFTER``) can be claimed again. ``jobs_dispatch_queued``
(run by beat every minute) sends jobs the broker never got and re-sends work a dead worker left.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from threadpoolctl import threadpool_limits

from workbench import audit
from workbench.errors import Conflict, NotAllowed
from workbench.roles import is_facilitator

from ..models import DraftingRound, Job, JobPart, JobState, RoundState

log = logging.getLogger(__name__)

__all__ = [
    "STALE_AFTER", "DISPATCH_GRACE", "can_consolidate", "consolidation_request", "job_rerun", "job_dispatch",
    "jobs_dispatch_queued", "jobs_recover_stale", "job_start", "job_fail", "job_succeed", "part_claim",
    "part_heartbeat", "part_complete", "part_fail", "worker_name",
]

KIND = "consolidate"
CONSOLIDATABLE = (RoundState.CLOSED, RoundState.CONSOLIDATED)
ACTIVE = (JobState.QUEUED, JobState.RUNNING)
STALE_AFTER = timedelta(seconds=settings.WORKBENCH_JOB_STALE_SECONDS)
"""A running part whose heartbeat is older than this is presumed abandoned (its worker died)."""
DISPATCH_GRACE = timedelta(seconds=settings.WORKBENCH_JOB_DISPATCH_GRACE_SECONDS)
"""A queued job sent this long ago and still not started is sent again (the message may be lost)."""
HEARTBEAT_EVERY = timedelta(seconds=15)
"""How often a busy part renews its claim; never less than four times per ``STALE_AFTER``, so a
short stale interval (tests, impatient deployments) cannot take back a part whose worker is alive."""
ERROR_LIMIT = 4000


def _broker_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError]
    try:
        from kombu.exceptions import OperationalError as KombuOperationalError

        errors.append(KombuOperationalError)
    except ImportError:  # pragma: no cover - kombu ships with celery
        pass
    try:
        from redis.exceptions import RedisError

        errors.append(RedisError)
    except ImportError:  # pragma: no cover - redis is optional without REDIS_URL
        pass
    return tuple(errors)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def worker_name() -> str:
    """Who holds a claim: host, process and a random suffix (threads of one process differ too)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def can_consolidate(user, round: DraftingRound) -> bool:
    return is_facilitator(user) and round.state in CONSOLIDATABLE


# -- requesting and dispatching ------------------------------------------------------------------

def consolidation_request(*, actor, round: DraftingRound) -> Job:
    """Queue a consolidation of a closed round and send it to the workers once committed.

    ``actor`` None is the system (the round closing). While a job of the round is queued or running
    that job is returned instead of a second one: the round row is locked, so two requests at once
    cannot both create a job."""
    if actor is not None and not is_facilitator(actor):
        raise NotAllowed("Only facilitators can consolidate a round.")
    with transaction.atomic():
        locked = DraftingRound.objects.select_for_update().select_related("definition").get(pk=round.pk)
        if locked.state not in CONSOLIDATABLE:
            raise Conflict(f"Round {locked.number} is {locked.state}; only a closed round can be consolidated.")
        existing = Job.objects.filter(round=locked, kind=KIND, state__in=ACTIVE).order_by("-pk").first()
        if existing is not None:
            return existing
        job = Job.objects.create(kind=KIND, round=locked, state=JobState.QUEUED, requested_by=_user(actor))
        audit.record(actor=actor, verb="job.requested", target=job, scope=locked.definition.audit_scope,
                     data={"round": locked.pk, "kind": KIND})
        job_id = job.pk
        transaction.on_commit(lambda: job_dispatch(job_id))
    return job


def job_dispatch(job_id: int, *, now: datetime | None = None) -> bool:
    """Send a queued job to the broker. If the broker is unreachable the job stays queued (with no
    ``dispatched_at``) and ``jobs_dispatch_queued`` sends it later; nothing is lost."""
    from consultations.tasks.jobs import consolidate_round

    now = now or timezone.now()
    previous = Job.objects.filter(pk=job_id).values_list("dispatched_at", flat=True).first()
    # Marked before sending: in eager mode the task runs inside apply_async.
    if not Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(dispatched_at=now):
        return False
    try:
        consolidate_round.apply_async(args=[job_id], retry=False)
    except _broker_errors() as exc:
        Job.objects.filter(pk=job_id, state=JobState.QUEUED, dispatched_at=now).update(dispatched_at=previous)
        log.warning("Broker unreachable: consolidation job %s stays queued (%s)", job_id, exc)
        return False
    return True


def _send(task, *args) -> bool:
    try:
        task.apply_async(args=list(args), retry=False)
        return True
    except _broker_errors() as exc:
        log.warning("Broker unreachable: %s%r not sent (%s)", task.name, args, exc)
        return False


def jobs_dispatch_queued(*, now: datetime | None = None) -> dict:
    """What beat runs every minute: send queued jobs never sent (broker was down) or sent more than
    ``DISPATCH_GRACE`` ago and not started, then recover work abandoned by dead workers."""
    now = now or timezone.now()
    due = (
        Job.objects.filter(kind=KIND, state=JobState.QUEUED)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - DISPATCH_GRACE))
        .order_by("pk").values_list("pk", flat=True)
    )
    sent = [job_id for job_id in list(due) if job_dispatch(job_id, now=now)]
    summary = jobs_recover_stale(now=now)
    summary["dispatched"] = sent
    return summary


def jobs_recover_stale(*, now: datetime | None = None) -> dict:
    """Re-send the work of running jobs that stopped moving: parts whose worker's heartbeat is older
    than ``STALE_AFTER`` (the worker died: the part goes back to queued), queued parts of a job with
    no heartbeat for as long (their messages were lost), and the assembly of a job whose parts are
    all done. Each re-sent task claims its work again, so a spurious re-send does nothing."""
    from consultations.tasks.jobs import assemble_report, consolidate_part

    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    summary: dict = {"parts_reclaimed": [], "parts_resent": [], "assembled": []}
    running = Job.objects.filter(kind=KIND, state=JobState.RUNNING)
    stale_parts = JobPart.objects.filter(job__in=running, state=JobState.RUNNING, claimed_at__lt=cutoff)
    for part_id, job_id in list(stale_parts.values_list("pk", "job_id")):
        if JobPart.objects.filter(pk=part_id, state=JobState.RUNNING, claimed_at__lt=cutoff).update(
            state=JobState.QUEUED, claimed_by="", claimed_at=None
        ):
            log.warning("Consolidation job %s: part %s was abandoned by its worker; queued again", job_id, part_id)
            summary["parts_reclaimed"].append(part_id)
            _send(consolidate_part, job_id, part_id)
    quiet = running.filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
    for job_id in list(quiet.values_list("pk", flat=True)):
        queued = list(JobPart.objects.filter(job_id=job_id, state=JobState.QUEUED).exclude(
            pk__in=summary["parts_reclaimed"]).values_list("pk", flat=True))
        for part_id in queued:
            if _send(consolidate_part, job_id, part_id):
                summary["parts_resent"].append(part_id)
        job = Job.objects.filter(pk=job_id).values("parts_total").first()
        done = JobPart.objects.filter(job_id=job_id, state=JobState.SUCCEEDED).count()
        if job and job["parts_total"] and done >= job["parts_total"] and _send(assemble_report, job_id):
            summary["assembled"].append(job_id)
        Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(heartbeat_at=now)
    return summary


def job_rerun(*, actor, job: Job, now: datetime | None = None) -> Job:
    """Run a failed job again from scratch (its parts are recomputed on the data as it is now), or
    a running job that stopped moving (no heartbeat for ``STALE_AFTER``)."""
    if actor is not None and not is_facilitator(actor):
        raise NotAllowed("Only facilitators can re-run a consolidation job.")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Job.objects.select_for_update().select_related("round__definition").get(pk=job.pk)
        stale = locked.state == JobState.RUNNING and (locked.heartbeat_at or locked.started_at or now) < now - STALE_AFTER
        if locked.state != JobState.FAILED and not stale:
            raise Conflict(f"Job {locked.pk} is {locked.state}; only a failed job (or one stuck running) can be re-run.")
        locked.parts.all().delete()
        Job.objects.filter(pk=locked.pk).update(
            state=JobState.QUEUED, parts_done=0, parts_total=0, error="", dispatched_at=None, started_at=None,
            finished_at=None, heartbeat_at=None, timings={},
        )
        audit.record(actor=actor, verb="job.rerun", target=locked, scope=locked.round.definition.audit_scope,
                     data={"round": locked.round_id, "previous_state": locked.state, "attempts": locked.attempts})
        transaction.on_commit(lambda: job_dispatch(locked.pk))
    locked.refresh_from_db()
    return locked


# -- the state machine ---------------------------------------------------------------------------

def job_start(job_id: int, *, now: datetime | None = None) -> bool:
    """queued -> running; False if the job is not queued (another worker started it, or it ended)."""
    now = now or timezone.now()
    return bool(Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, error="",
    ))


def job_fail(job_id: int, error: str, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    changed = bool(Job.objects.filter(pk=job_id, state__in=ACTIVE).update(
        state=JobState.FAILED, error=error[:ERROR_LIMIT], finished_at=now,
    ))
    if changed:
        job = Job.objects.select_related("round__definition").get(pk=job_id)
        audit.record(actor=None, verb="job.failed", target=job, scope=job.round.definition.audit_scope,
                     data={"round": job.round_id, "error": error[:300]})
    return changed


def job_succeed(job_id: int, *, fingerprint: str, timings: dict, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(
        state=JobState.SUCCEEDED, finished_at=now, heartbeat_at=now, input_fingerprint=fingerprint, timings=timings,
    ))


def part_claim(part_id: int, worker: str, *, now: datetime | None = None) -> bool:
    """Take a part: queued, or running with a stale heartbeat (its worker died). Exactly one of any
    number of concurrent claimers gets True."""
    now = now or timezone.now()
    claimable = Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING, claimed_at__lt=now - STALE_AFTER)
    claimed = JobPart.objects.filter(claimable, pk=part_id, job__state=JobState.RUNNING).update(
        state=JobState.RUNNING, claimed_by=worker, claimed_at=now, error="",
    )
    if claimed:
        Job.objects.filter(pk=JobPart.objects.filter(pk=part_id).values("job_id")[:1]).update(heartbeat_at=now)
    return bool(claimed)


class ClaimLost(Exception):
    """The part was taken over by another worker (this one was presumed dead)."""


class Heartbeat:
    """Renews a part's claim at most every ``HEARTBEAT_EVERY``; call it between phases of work."""

    def __init__(self, part_id: int, job_id: int, worker: str):
        self.part_id, self.job_id, self.worker = part_id, job_id, worker
        self.last = timezone.now()

    def __call__(self, now: datetime | None = None) -> None:
        now = now or timezone.now()
        if now - self.last < min(HEARTBEAT_EVERY, STALE_AFTER / 4):
            return
        if not part_heartbeat(self.part_id, self.worker, now=now):
            raise ClaimLost(f"Part {self.part_id} was claimed by another worker.")
        Job.objects.filter(pk=self.job_id, state=JobState.RUNNING).update(heartbeat_at=now)
        self.last = now


def part_heartbeat(part_id: int, worker: str, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(JobPart.objects.filter(pk=part_id, state=JobState.RUNNING, claimed_by=worker).update(claimed_at=now))


def part_complete(part_id: int, worker: str, result: dict, *, now: datetime | None = None) -> bool:
    """Store a part's result and count it done. Returns True for the one call that completes the
    job's last part (it then enqueues the assembly). A worker whose claim was taken over stores
    nothing, so every part is counted exactly once."""
    from consultations.tasks.jobs import assemble_report

    now = now or timezone.now()
    with transaction.atomic():
        stored = JobPart.objects.filter(pk=part_id, state=JobState.RUNNING, claimed_by=worker).update(
            state=JobState.SUCCEEDED, result=result, finished_at=now, error="",
        )
        if not stored:
            return False
        job_id = JobPart.objects.filter(pk=part_id).values_list("job_id", flat=True).get()
        Job.objects.filter(pk=job_id).update(parts_done=F("parts_done") + 1, heartbeat_at=now)
        # Our UPDATE holds the row lock until commit, so this read sees every earlier increment and
        # no later one: exactly one transaction reads parts_done == parts_total.
        job = Job.objects.filter(pk=job_id).values("state", "parts_done", "parts_total").get()
        last = job["state"] == JobState.RUNNING and job["parts_done"] >= job["parts_total"]
        if last:
            transaction.on_commit(lambda: _send(assemble_report, job_id))
    return last


def part_fail(part_id: int, worker: str, error: str, *, now: datetime | None = None) -> bool:
    """Record a part's failure and fail its job (a re-run starts it again)."""
    now = now or timezone.now()
    with transaction.atomic():
        if not JobPart.objects.filter(pk=part_id, state=JobState.RUNNING, claimed_by=worker).update(
            state=JobState.FAILED, error=error[:ERROR_LIMIT], finished_at=now,
        ):
            return False
        part = JobPart.objects.values("job_id", "key").get(pk=part_id)
        label = f"clause #{part['key']}" if part["key"] else "the whole version"
        job_fail(part["job_id"], f"The part for {label} failed: {error}", now=now)
    return True


# -- the work: set-up, parts, assembly (the tasks call these) -----------------------------------

def consolidation_setup(job_id: int) -> list[int]:
    """queued -> running, and one part per target: the whole version, then every clause. Returns
    the ids of the parts to send (none if another worker already started the job). The parts are
    created in the same transaction as the transition, so a worker killed here leaves the job
    queued, to be sent again."""
    import time

    from .analysis import part_keys

    started = time.perf_counter()
    with transaction.atomic():
        if not job_start(job_id):
            return []
        job = Job.objects.select_related("round").get(pk=job_id)
        keys = part_keys(job.round)
        JobPart.objects.bulk_create([JobPart(job_id=job_id, key=key) for key in keys], ignore_conflicts=True)
        Job.objects.filter(pk=job_id).update(
            parts_total=len(keys), parts_done=0, timings={"setup": round(time.perf_counter() - started, 4)},
        )
        return list(JobPart.objects.filter(job_id=job_id, state=JobState.QUEUED).order_by("pk").values_list("pk", flat=True))


def consolidation_run_part(job_id: int, part_id: int) -> str:
    """Claim one part, compute it, store it. Idempotent: a part already claimed (and alive) or done
    is skipped. Any error fails the part and its job, with the error's text."""
    from ..selectors.votes import rule_for
    from . import analysis

    worker = worker_name()
    if not part_claim(part_id, worker):
        return "skipped"
    try:
        part = JobPart.objects.select_related("job__round__version").get(pk=part_id)
        drafting_round = part.job.round
        beat = Heartbeat(part_id, job_id, worker)
        if part.key:
            markdown = drafting_round.version.clauses.filter(anchor=part.key).values_list("source_markdown", flat=True).first() or ""
        else:
            markdown = drafting_round.version.source_markdown
        # numpy/BLAS on one thread per worker process by default: two single-threaded workers on two
        # cores beat two workers each spinning up a BLAS thread per core and fighting over them.
        with threadpool_limits(limits=settings.WORKBENCH_ANALYSIS_THREADS):
            result = analysis.analyse_target(drafting_round, part.key, clause_markdown=markdown,
                                             rule=rule_for(drafting_round), heartbeat=beat)
        if not part.key:
            import time

            t = time.perf_counter()
            result["round_figures"] = analysis.round_aggregates(drafting_round)
            result["timings"]["round_figures"] = round(time.perf_counter() - t, 4)
    except ClaimLost:
        return "lost"
    except Exception as exc:  # the job must end failed with the reason, never stay running
        log.exception("Consolidation job %s, part %s failed", job_id, part_id)
        part_fail(part_id, worker, f"{type(exc).__name__}: {exc}")
        return "failed"
    part_complete(part_id, worker, result)
    return "done"


def consolidation_assemble(job_id: int) -> str:
    """Build the report from the parts, store it, mark the job succeeded and the round
    consolidated. Idempotent: only a running job whose parts all succeeded is assembled, once."""
    import time

    from ..models import Report
    from . import analysis, report as reports

    started = time.perf_counter()
    job = Job.objects.select_related("round__definition", "round__version").filter(pk=job_id).first()
    if job is None or job.state != JobState.RUNNING:
        return "skipped"
    parts = list(JobPart.objects.filter(job_id=job_id).order_by("pk").values("key", "state", "result", "claimed_at", "finished_at"))
    if not parts or any(p["state"] != JobState.SUCCEEDED for p in parts):
        return "not-ready"
    try:
        drafting_round = job.round
        later = reports.later_version(drafting_round)
        results, digests, part_timings = {}, {}, {}
        for p in parts:
            result = dict(p["result"])
            digests[p["key"]] = result.pop("digest")
            for phase, seconds in (result.pop("timings", None) or {}).items():
                part_timings[phase] = part_timings.get(phase, 0.0) + seconds
            results[p["key"]] = result
        round_figures = results[""].pop("round_figures")
        from ..selectors.votes import rule_dict

        fingerprint = analysis.combine_fingerprint(
            rule=rule_dict(drafting_round), version_hash=drafting_round.version.content_hash,
            later_version_hash=later.content_hash if later else "", digests=digests,
        )
        data = reports.build_report(drafting_round, results, round_figures=round_figures, fingerprint=fingerprint, later=later)
        json_text, markdown, html_text = reports.render_json(data), reports.render_markdown(data), reports.render_html(data)
    except Exception as exc:
        log.exception("Consolidation job %s: assembling the report failed", job_id)
        job_fail(job_id, f"Assembling the report failed: {type(exc).__name__}: {exc}")
        return "failed"
    now = timezone.now()
    first_claim = min((p["claimed_at"] for p in parts if p["claimed_at"]), default=job.started_at)
    last_finish = max((p["finished_at"] for p in parts if p["finished_at"]), default=now)
    timings = dict(job.timings or {})
    timings.update({
        "queue_wait": round(((job.started_at or now) - job.created_at).total_seconds(), 4),
        "parts": round((last_finish - (first_claim or last_finish)).total_seconds(), 4),
        "phases": {phase: round(seconds, 4) for phase, seconds in sorted(part_timings.items())},
        "assemble": round(time.perf_counter() - started, 4),
        "total": round((now - (job.started_at or now)).total_seconds(), 4),
    })
    with transaction.atomic():
        if not job_succeed(job_id, fingerprint=fingerprint, timings=timings, now=now):
            return "skipped"
        report, created = Report.objects.get_or_create(job=job, defaults={
            "round": drafting_round, "input_fingerprint": fingerprint, "json": json_text, "markdown": markdown, "html": html_text,
        })
        scope = drafting_round.definition.audit_scope
        audit.record(actor=None, verb="report.created", target=report, scope=scope,
                     data={"round": drafting_round.pk, "job": job_id, "fingerprint": fingerprint})
        if DraftingRound.objects.filter(pk=drafting_round.pk, state=RoundState.CLOSED).update(state=RoundState.CONSOLIDATED):
            audit.record(actor=None, verb="round.consolidated", target=drafting_round, scope=scope, data={"report": report.pk})
    return "done"
