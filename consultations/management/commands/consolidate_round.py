"""Consolidate a closed round: ``manage.py consolidate_round <round-id> [--wait]``.

Prints the job id; with ``--wait``, polls the job until it ends and prints its final state (and
error). Exits non-zero if the job failed or the round cannot be consolidated."""
from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from consultations.jobs import services
from consultations.models import DraftingRound, Job, JobState
from workbench.errors import DomainError


class Command(BaseCommand):
    help = "Queue the consolidation of a closed round into a report; --wait follows it to the end."

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)
        parser.add_argument("--wait", action="store_true", help="Wait for the job to end and print its state.")
        parser.add_argument("--timeout", type=float, default=3600.0, help="Seconds to wait at most (with --wait).")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls (with --wait).")

    def handle(self, *args, round_id, wait, timeout, interval, **options):
        round = DraftingRound.objects.filter(pk=round_id).first()
        if round is None:
            raise CommandError(f"No round {round_id}.")
        try:
            job = services.consolidation_request(actor=None, round=round)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"job {job.pk}")
        if not wait:
            return
        deadline = time.monotonic() + timeout
        while True:
            close_old_connections()
            job = Job.objects.get(pk=job.pk)
            if job.state in (JobState.SUCCEEDED, JobState.FAILED):
                break
            if time.monotonic() > deadline:
                raise CommandError(f"job {job.pk} still {job.state} after {timeout:g} s ({job.parts_done}/{job.parts_total} parts)")
            time.sleep(interval)  # polling the Job row another process updates
        self.stdout.write(job.state)
        if job.state == JobState.FAILED:
            raise CommandError(f"job {job.pk} failed: {job.error}")
