"""The consolidation API: start, follow, re-run, list and download; who may do what."""
from __future__ import annotations

import json

import pytest

from consultations.models import DraftingRound, Job, JobState, Report, Visibility

from ...conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def consolidate(facilitator_api, django_capture_on_commit_callbacks):
    def post(round):
        with django_capture_on_commit_callbacks(execute=True):
            return facilitator_api.post(f"/api/rounds/{round.pk}/consolidate/")
    return post


def test_consolidate_answers_202_with_the_job(closed_round, consolidate):
    response = consolidate(closed_round)
    assert response.status_code == 202
    job = Job.objects.get(round=closed_round)
    assert response.json() == {"id": job.pk, "url": f"/api/jobs/{job.pk}/", "state": "queued"}
    assert response["Location"] == f"/api/jobs/{job.pk}/"


def test_job_status_shows_progress_timings_fingerprint_and_report_links(closed_round, consolidate, api):
    job_id = consolidate(closed_round).json()["id"]
    data = api.get(f"/api/jobs/{job_id}/").json()
    assert data["state"] == "succeeded" and data["progress"] == 100
    assert data["parts_done"] == data["parts_total"] == 5
    assert len(data["input_fingerprint"]) == 64 and data["error"] == ""
    assert "total" in data["timings"] and data["started_at"] and data["finished_at"]
    report = Report.objects.get(job_id=job_id)
    assert data["report"]["links"] == {"json": f"/api/reports/{report.pk}.json", "md": f"/api/reports/{report.pk}.md",
                                       "html": f"/api/reports/{report.pk}.html"}


def test_why_a_job_failed_is_shown_to_facilitators_only(closed_round, facilitator_api, stakeholder_api, api):
    from consultations.selectors.jobs import FAILED_NOTE

    error = "The part for clause #sample failed: KeyError: 'internal detail'"
    job = Job.objects.create(round=closed_round, state=JobState.FAILED, error=error)
    assert facilitator_api.get(f"/api/jobs/{job.pk}/").json()["error"] == error
    for client in (stakeholder_api, api):
        data = client.get(f"/api/jobs/{job.pk}/").json()
        assert (data["state"], data["error"]) == ("failed", FAILED_NOTE)


def test_consolidating_an_open_round_is_a_conflict(open_round, consolidate):
    response = consolidate(open_round)
    assert response.status_code == 409
    assert "only a closed round" in response.json()["detail"]


def test_stakeholders_may_not_consolidate_and_anonymous_readers_must_sign_in(closed_round, stakeholder_api, api):
    assert stakeholder_api.post(f"/api/rounds/{closed_round.pk}/consolidate/").status_code == 403
    assert api.post(f"/api/rounds/{closed_round.pk}/consolidate/").status_code in (401, 403)
    assert not Job.objects.exists()


def test_unknown_round_job_and_report_are_404(facilitator_api):
    assert facilitator_api.post("/api/rounds/999/consolidate/").status_code == 404
    assert facilitator_api.get("/api/jobs/999/").status_code == 404
    assert facilitator_api.get("/api/reports/999.json").status_code == 404
    assert facilitator_api.get("/api/rounds/999/report.json").status_code == 404


def test_reports_are_listed_and_downloadable_in_three_formats(closed_round, consolidate, api):
    consolidate(closed_round)
    report = Report.objects.get()
    listing = api.get(f"/api/rounds/{closed_round.pk}/reports/").json()
    assert [r["id"] for r in listing["results"]] == [report.pk]
    for fmt, content_type, field in [("json", "application/json", "json"), ("md", "text/markdown", "markdown"),
                                     ("html", "text/html", "html")]:
        download = api.get(f"/api/reports/{report.pk}.{fmt}")
        assert download.status_code == 200 and download["Content-Type"].startswith(content_type)
        assert download.content.decode() == getattr(report, field)
        assert "attachment" in download["Content-Disposition"]
        latest = api.get(f"/api/rounds/{closed_round.pk}/report.{fmt}")
        assert latest.status_code == 200 and latest.content == download.content
    assert json.loads(api.get(f"/api/rounds/{closed_round.pk}/report.json").content)["round"]["id"] == closed_round.pk
    assert api.get(f"/api/reports/{report.pk}.pdf").status_code == 404


def test_a_round_without_a_report_says_so(closed_round, api):
    response = api.get(f"/api/rounds/{closed_round.pk}/report.md")
    assert response.status_code == 404 and "no report yet" in response.json()["detail"]


def test_members_only_round_jobs_and_reports_need_sign_in(closed_round, consolidate, api, stakeholder):
    job_id = consolidate(closed_round).json()["id"]
    report = Report.objects.get()
    DraftingRound.objects.filter(pk=closed_round.pk).update(visibility=Visibility.MEMBERS)
    assert api.get(f"/api/jobs/{job_id}/").status_code == 404
    assert api.get(f"/api/reports/{report.pk}.json").status_code == 404
    assert api.get(f"/api/rounds/{closed_round.pk}/reports/").status_code == 404
    member = client_for(stakeholder)
    assert member.get(f"/api/jobs/{job_id}/").status_code == 200
    assert member.get(f"/api/reports/{report.pk}.html").status_code == 200


def test_rerun_of_a_failed_job(closed_round, consolidate, facilitator_api, stakeholder_api, django_capture_on_commit_callbacks):
    job_id = consolidate(closed_round).json()["id"]
    assert facilitator_api.post(f"/api/jobs/{job_id}/rerun/").status_code == 409  # it succeeded
    Job.objects.filter(pk=job_id).update(state=JobState.FAILED, error="worker lost")
    Report.objects.filter(job_id=job_id).delete()
    assert stakeholder_api.post(f"/api/jobs/{job_id}/rerun/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = facilitator_api.post(f"/api/jobs/{job_id}/rerun/")
    assert response.status_code == 202
    assert response.json()["state"] == "queued"
    job = Job.objects.get(pk=job_id)
    assert job.state == JobState.SUCCEEDED and job.attempts == 2


def test_round_page_shows_progress_button_and_report_link(closed_round, facilitator, client, django_capture_on_commit_callbacks):
    client.force_login(facilitator)
    page = client.get(f"/rounds/{closed_round.pk}/").content.decode()
    assert 'data-testid="consolidate-form"' in page and "Consolidate now" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/rounds/{closed_round.pk}/consolidate/")
    assert response.status_code == 302
    page = client.get(f"/rounds/{closed_round.pk}/").content.decode()
    job = Job.objects.get()
    assert f'data-job-url="/api/jobs/{job.pk}/"' in page and 'data-job-state="succeeded"' in page
    assert 'data-testid="latest-report"' in page
    report = client.get(f"/rounds/{closed_round.pk}/report/")
    assert report.status_code == 200
    body = report.content.decode()
    assert 'class="wb-report"' in body and "Duplicate groups" in body and '<span class="bar vote-bar"' in body


def test_readers_see_no_button_and_an_empty_report_page(closed_round, client):
    page = client.get(f"/rounds/{closed_round.pk}/").content.decode()
    assert "consolidate-form" not in page
    assert "no report yet" in client.get(f"/rounds/{closed_round.pk}/report/").content.decode()
    assert client.post(f"/rounds/{closed_round.pk}/consolidate/").status_code == 302  # to log in
    assert not Job.objects.exists()


def test_job_status_queries_do_not_grow(closed_round, consolidate, api, django_assert_max_num_queries):
    job_id = consolidate(closed_round).json()["id"]
    with django_assert_max_num_queries(3):
        assert api.get(f"/api/jobs/{job_id}/").status_code == 200
