"""Two runs on the same data give byte-identical artifacts; a change in the input changes them."""
from __future__ import annotations

import pytest

from consultations.models import Comment, DraftingRound, Report, RoundState

pytestmark = pytest.mark.django_db


def _again(round):
    DraftingRound.objects.filter(pk=round.pk).update(state=RoundState.CLOSED)
    round.refresh_from_db()
    return round


def test_two_runs_give_identical_json_markdown_and_html(closed_round, v2, facilitator, run_job):
    first = Report.objects.get(job=run_job(closed_round, facilitator))
    second = Report.objects.get(job=run_job(_again(closed_round), facilitator))
    assert first.job_id != second.job_id
    assert first.json == second.json
    assert first.markdown == second.markdown
    assert first.html == second.html
    assert first.input_fingerprint == second.input_fingerprint


def test_a_new_disposition_changes_the_fingerprint_and_the_report(closed_round, facilitator, run_job):
    first = Report.objects.get(job=run_job(closed_round, facilitator))
    Comment.objects.filter(pk=closed_round.test_ids["data"][0]).update(disposition="deferred", response="Next round.")
    second = Report.objects.get(job=run_job(_again(closed_round), facilitator))
    assert first.input_fingerprint != second.input_fingerprint
    assert "Next round." in second.markdown and "Next round." not in first.markdown
