"""The issue's acceptance check, for real: a Celery worker *process* is killed with SIGKILL while it
holds a claimed part of a consolidation job; a new worker process is started, the recovery sweep
(what beat runs every minute) runs, and the job ends succeeded with a report byte-identical to an
in-process run on the same data.

The kill lands mid-part deterministically: before the job is requested, the test takes an ACCESS
EXCLUSIVE lock on the comment table from a connection of its own. The worker sets the job up (that
reads no comments), claims a part (committed) and then blocks reading the part's comments. The test
waits for exactly that, kills the worker's whole process group, ends the dead worker's database
session and only then lets the lock go.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from consultations.jobs import services
from consultations.models import Job, JobPart, JobState, Report

from .test_consolidation_worker import _eager_report, round_with_data  # noqa: F401 (a fixture)
from .worker import sending_to_redis

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"
STALE_SECONDS = 3
SWEEP_EVERY = 1.0  # beat runs the sweep every 60 s; here it is sped up like the stale interval
DEADLINE = 90.0  # generous: another process on the machine may be hogging the CPU


# -- helpers --------------------------------------------------------------------------------------

def _libpq_url(name: str, application_name: str = "") -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    url = f"postgresql://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"
    return f"{url}?application_name={application_name}" if application_name else url


class WorkerProcess:
    """``celery -A workbench worker`` in a session (process group) of its own, logging to a file."""

    def __init__(self, label: str, log_path: Path, env: dict):
        self.label, self.log_path = label, log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [str(CELERY), "-A", "workbench", "worker", "--pool", "prefork", "--concurrency", "1",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
             "--hostname", f"{label}-{uuid.uuid4().hex[:6]}@%h"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.pgid = self.proc.pid  # start_new_session: the worker leads its own process group

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return f"--- {self.label} log ({self.log_path}) ---\n" + "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = DEADLINE) -> None:
        deadline = time.monotonic() + timeout
        while " ready." not in self.log_path.read_text(errors="replace"):
            assert self.proc.poll() is None, f"{self.label} exited with {self.proc.returncode}\n{self.tail()}"
            assert time.monotonic() < deadline, f"{self.label} was not ready within {timeout} s\n{self.tail()}"
            time.sleep(0.1)

    def pids(self) -> set[int]:
        """The worker and all its descendants (the prefork pool processes)."""
        found, frontier = set(), [self.proc.pid]
        while frontier:
            pid = frontier.pop()
            found.add(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):  # a child belongs to the thread that forked it
                with contextlib.suppress(OSError):
                    frontier.extend(int(c) for c in (task / "children").read_text().split())
        return found

    def kill(self, timeout: float = 30.0) -> None:
        """SIGKILL the whole process group and wait until every process of it is gone."""
        members = self.pids()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.proc.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while any(_alive(pid) for pid in members):
            assert time.monotonic() < deadline, f"{self.label}: processes {members} survived SIGKILL"
            time.sleep(0.05)

    def stop(self, *, graceful: bool = True, timeout: float = 20.0) -> None:
        """Warm shutdown if it is still running, then make sure nothing of the group is left."""
        if graceful and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout)
        self.log.close()


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie holds nothing any more


def _sessions(admin: psycopg.Connection, application_name: str) -> list[tuple]:
    return admin.execute(
        "SELECT pid, state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity "
        "WHERE application_name = %s", [application_name],
    ).fetchall()


def _poll(predicate, what: str, *logs: WorkerProcess, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    while True:
        close_old_connections()
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s\n" + "\n".join(w.tail() for w in logs)
        time.sleep(0.1)  # polling rows the worker writes; bounded by the deadline


def _forget_queue(queue: str) -> None:
    """Drop what the killed worker left in Redis for this queue: the queue itself and its entry in
    kombu's shared ``unacked`` hash (else a worker of a later run would restore it after the
    visibility timeout into a queue nobody reads)."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    with contextlib.suppress(redis.RedisError):  # best effort: never hide the test's own failure
        for tag, raw in client.hgetall("unacked").items():
            with contextlib.suppress(ValueError, TypeError, IndexError):
                if json.loads(raw)[2] == queue:
                    client.zrem("unacked_index", tag)
                    client.hdel("unacked", tag)
        client.delete(queue, *(f"{queue}\x06\x16{p}" for p in (3, 6, 9)))


# -- the test -------------------------------------------------------------------------------------

def test_a_worker_killed_mid_part_and_a_new_worker_end_in_the_same_report(round_with_data, tmp_path, monkeypatch):  # noqa: F811
    assert connection.vendor == "postgresql"
    eager = _eager_report(round_with_data)  # in-process, before anything is locked

    db_name = connection.settings_dict["NAME"]  # the test database of *this* (xdist) process
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    tag = uuid.uuid4().hex[:8]
    killed_app, fresh_app = f"wb-kill-{tag}-killed", f"wb-kill-{tag}-fresh"

    def worker_env(application_name: str) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
        env.update({
            "DATABASE_URL": _libpq_url(db_name, application_name).replace("postgresql://", "postgres://", 1),
            "REDIS_URL": settings.CELERY_BROKER_URL,
            "WORKBENCH_CELERY_QUEUE": queue,
            "WORKBENCH_EAGER_TASKS": "0",
            "DJANGO_SETTINGS_MODULE": "workbench.settings",
            "WORKBENCH_LOG_LEVEL": "INFO",
            "WORKBENCH_JOB_STALE_SECONDS": str(STALE_SECONDS),
        })
        return env

    # A claim older than this is abandoned: for the workers through their environment, for the
    # sweep run here by patching the value services read from the settings when it was imported.
    monkeypatch.setattr(services, "STALE_AFTER", timedelta(seconds=STALE_SECONDS))

    admin = psycopg.connect(_libpq_url(db_name, f"wb-kill-{tag}-admin"), autocommit=True)
    locker = psycopg.connect(_libpq_url(db_name, f"wb-kill-{tag}-lock"))  # a transaction stays open
    workers: list[WorkerProcess] = []
    try:
        locker.execute("LOCK TABLE consultations_comment IN ACCESS EXCLUSIVE MODE")
        doomed = WorkerProcess("killed", tmp_path / "killed-worker.log", worker_env(killed_app))
        workers.append(doomed)
        doomed.wait_ready()

        with sending_to_redis():
            job = services.consolidation_request(actor=None, round=round_with_data)

            # 1. The worker started the job, claimed a part and is stuck reading its comments.
            part = _poll(lambda: JobPart.objects.filter(job=job, state=JobState.RUNNING).exclude(claimed_by="").first(),
                         "the worker did not claim a part", doomed)
            _poll(lambda: any(s[2] == "Lock" for s in _sessions(admin, killed_app)),
                  "the worker's query is not waiting on the comment lock", doomed)
            claim = part.claimed_by  # services.worker_name(): host:pid:suffix
            _, pid, _ = claim.rsplit(":", 2)
            assert int(pid) in doomed.pids(), f"claim {claim} is not held by the worker subprocess {doomed.pids()}"

            # 2. SIGKILL, mid-part. Its PostgreSQL session, still queued on the lock, would only end
            # when the lock is released and it fails to send rows; end it now, then release the lock.
            doomed.kill()
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", [killed_app])
            _poll(lambda: not _sessions(admin, killed_app), "the killed worker's database session did not end")
            locker.rollback()
            locker.close()

            # 3. The situation being fixed: the job is stuck running, the part claimed by a dead worker.
            close_old_connections()
            part.refresh_from_db()
            job.refresh_from_db()
            stuck = (part.state, part.claimed_by, job.state, job.parts_done, job.parts_total)
            assert stuck == (JobState.RUNNING, claim, JobState.RUNNING, 0, 5), f"{stuck}\n{doomed.tail()}"

            # 4. A new worker, and the sweep beat runs (jobs_dispatch_queued), until the job ends.
            fresh = WorkerProcess("fresh", tmp_path / "fresh-worker.log", worker_env(fresh_app))
            workers.append(fresh)
            fresh.wait_ready()
            summaries: list[dict] = []
            last_sweep = 0.0

            def ended():
                nonlocal last_sweep
                current = Job.objects.get(pk=job.pk)
                if current.state in (JobState.SUCCEEDED, JobState.FAILED):
                    return current
                if time.monotonic() - last_sweep >= SWEEP_EVERY:
                    summaries.append(services.jobs_dispatch_queued())
                    last_sweep = time.monotonic()
                return None

            job = _poll(ended, f"job {job.pk} did not end after the restart", doomed, fresh)
    finally:
        # Before the test database is flushed and dropped. The doomed worker first and without a
        # warm shutdown: if the test failed early, it may still be blocked on the lock.
        for worker in workers:
            worker.stop(graceful=worker.label != "killed")
        locker.close()
        admin.close()
        _forget_queue(queue)

    parts = list(JobPart.objects.filter(job=job).values_list("pk", "key", "state", "claimed_by"))
    why = f"job {job.pk} {job.state} {job.error!r}, parts done {job.parts_done}/{job.parts_total}\n" \
          f"parts: {parts}\nsweeps: {summaries}\n" + "\n".join(w.tail() for w in workers)
    assert job.state == JobState.SUCCEEDED, why
    assert job.parts_done == job.parts_total == 5, why
    reclaimed = [p for s in summaries for p in s["parts_reclaimed"]]
    assert part.pk in reclaimed, f"the sweep never reclaimed the dead worker's part {part.pk}\n{why}"
    assert all(claimed_by and claimed_by != claim for _, _, _, claimed_by in parts), why
    report = Report.objects.get(job=job)
    assert report.json == eager.json
    assert report.markdown == eager.markdown
    assert report.html == eager.html
