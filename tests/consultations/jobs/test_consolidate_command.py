"""``manage.py consolidate_round <round-id> [--wait]``."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from consultations.jobs import analysis
from consultations.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def test_wait_prints_the_job_and_its_final_state(closed_round):
    out = StringIO()
    call_command("consolidate_round", str(closed_round.pk), "--wait", "--interval", "0.1", stdout=out)
    job = Job.objects.get(round=closed_round)
    assert out.getvalue().splitlines() == [f"job {job.pk}", "succeeded"]


def test_without_wait_it_prints_the_job_id(closed_round):
    out = StringIO()
    call_command("consolidate_round", str(closed_round.pk), stdout=out)
    assert out.getvalue().strip() == f"job {Job.objects.get(round=closed_round).pk}"


def test_a_failed_job_exits_non_zero(closed_round, monkeypatch):
    monkeypatch.setattr(analysis, "round_aggregates", lambda round: 1 / 0)
    out = StringIO()
    with pytest.raises(CommandError, match="failed: .*ZeroDivisionError"):
        call_command("consolidate_round", str(closed_round.pk), "--wait", "--interval", "0.1", stdout=out)
    assert out.getvalue().splitlines()[-1] == "failed"


def test_an_open_round_is_refused(open_round):
    with pytest.raises(CommandError, match="only a closed round"):
        call_command("consolidate_round", str(open_round.pk))


def test_an_unknown_round_is_refused(db):
    with pytest.raises(CommandError, match="No round 999"):
        call_command("consolidate_round", "999")
