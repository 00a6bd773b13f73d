"""Consolidation on the round page, in the browser: a facilitator's "Consolidate now" button runs a
job and the page offers its report; the progress bar follows a running job without a reload (the
page's jobs.js polls GET /api/jobs/{id}/); stakeholders and anonymous readers get no button; a failed
job shows its error and, for facilitators, a "Consolidate again" button that works."""
import contextlib
import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from consultations.jobs import services
from consultations.models import DraftingRound, Job, JobPart, JobState, Report, RoundState
from consultations.selectors.jobs import FAILED_NOTE
from tests.conftest import PASSWORD
from tests.consultations.jobs.conftest import build_round_data, close_quietly
from tests.consultations.rounds_factories import V1, make_definition, make_round, make_version

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# jobs.js polls every 2 s (10 s after a failed request); leave room for a loaded machine.
POLL_TIMEOUT = 30_000
PLANTED_ERROR = "The part for clause #purpose failed: ValueError: planted failure for the browser test"


@pytest.fixture
def closed_round(facilitator):
    """A closed round with no job yet (closed without the signal, which would start one)."""
    return close_quietly(make_round(facilitator, make_version(make_definition(), "0.1", V1)))


@pytest.fixture
def closed_round_with_data(closed_round, groups):
    build_round_data(closed_round, groups)
    return closed_round


def width(percent: int):
    """The bar's inline style as the server writes it or as jobs.js sets it (the browser adds a ';')."""
    return re.compile(rf"^width: {percent}%;?$")


def job_box(page):
    return page.get_by_test_id("job-status")


def progress_bar(page):
    return page.get_by_role("progressbar", name="Consolidation progress")


def consolidate_button(page):
    return page.get_by_test_id("consolidate-form").get_by_role("button")


@contextlib.contextmanager
def signed_in_page(browser, live_server, username: str):
    """A second browser (its own cookies) signed in as ``username``, beside the test's page."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in(page, username, PASSWORD)
        yield page
    finally:
        context.close()


def count_navigations(page) -> list:
    """Main-frame navigations from now on (a reload would add one)."""
    seen = []
    page.on("framenavigated", lambda frame: seen.append(frame.url) if frame == page.main_frame else None)
    return seen


def test_facilitator_consolidates_a_closed_round_and_gets_the_report(page, facilitator, closed_round_with_data):
    round = closed_round_with_data
    log_in(page, "fran", PASSWORD)
    page.goto(f"/rounds/{round.pk}/")
    section = page.get_by_test_id("round-jobs")
    expect(section).to_contain_text("No report yet")
    expect(job_box(page)).to_have_count(0)
    expect(consolidate_button(page)).to_have_text("Consolidate now")
    assert not Job.objects.exists()

    consolidate_button(page).click()  # a form post; the eager task finishes inside the request
    page.wait_for_url(f"**/rounds/{round.pk}/")
    job = Job.objects.get()
    assert (job.round_id, job.state, job.requested_by_id) == (round.pk, JobState.SUCCEEDED, facilitator.pk)
    report = Report.objects.get(job=job)
    assert job.parts_total == len(V1) + 1 == job.parts_done  # every clause and the whole version

    expect(page.locator(".messages")).to_contain_text(f"Consolidation job {job.pk} succeeded: the report is ready.")
    expect(page.get_by_test_id("round-state")).to_have_text("Consolidated")
    expect(page.get_by_test_id("job-state")).to_have_text("Succeeded")
    expect(job_box(page)).to_contain_text(f"Consolidation job {job.pk}")
    expect(job_box(page)).to_contain_text(f"{job.parts_total} of {job.parts_total} parts")
    expect(progress_bar(page)).to_have_attribute("aria-valuenow", "100")
    expect(job_box(page).locator("[data-role=error]")).to_be_hidden()
    expect(consolidate_button(page)).to_have_text("Consolidate now")  # may run again once finished

    # The downloads are the stored report, in each format.
    latest = page.get_by_test_id("latest-report")
    expect(latest).to_be_visible()
    title = f"Round {round.number} report: {round.title}"
    for name, fmt, content_type in [("JSON", "json", "application/json"), ("Markdown", "md", "text/markdown"),
                                    ("HTML", "html", "text/html")]:
        link = latest.get_by_role("link", name=name, exact=True)
        expect(link).to_have_attribute("href", f"/api/reports/{report.pk}.{fmt}")
        response = page.request.get(link.get_attribute("href"))
        assert response.ok, (fmt, response.status)
        assert response.headers["content-type"].startswith(content_type)
        assert response.headers["x-input-fingerprint"] == report.input_fingerprint == job.input_fingerprint
        body = response.text()
        if fmt == "json":
            assert json.loads(body)["input_fingerprint"] == report.input_fingerprint
        elif fmt == "md":
            assert body == report.markdown and body.startswith(f"# {title}\n")
        else:
            assert body == report.html and f"<h1>{title}</h1>" in body

    # "Read the report" opens the report page with the same report.
    job_box(page).get_by_role("link", name="Read the report").click()
    page.wait_for_url(f"**/rounds/{round.pk}/report/")
    expect(page.get_by_test_id("report").get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_test_id("report-downloads")).to_contain_text(f"Report {report.pk} (job {job.pk}")


def test_progress_bar_follows_the_job_without_a_reload(page, facilitator, closed_round):
    round = closed_round
    now = timezone.now()
    job = Job.objects.create(round=round, state=JobState.RUNNING, parts_total=4, parts_done=1, attempts=1,
                             requested_by=facilitator, dispatched_at=now, started_at=now, heartbeat_at=now)
    keys = ["", "sample", "purpose", "criteria-li1"]
    JobPart.objects.bulk_create([JobPart(job=job, key=key, state=JobState.SUCCEEDED if i < 1 else JobState.QUEUED)
                                 for i, key in enumerate(keys)])

    log_in(page, "fran", PASSWORD)
    page.goto(f"/rounds/{round.pk}/")
    box, bar, parts = job_box(page), progress_bar(page), job_box(page).locator("[data-role=parts]")
    expect(box).to_have_attribute("data-job-url", f"/api/jobs/{job.pk}/")
    expect(page.get_by_test_id("job-state")).to_have_text("Running")
    expect(parts).to_have_text("1 of 4 parts")
    expect(bar).to_have_attribute("aria-valuenow", "25")
    expect(bar.locator("span")).to_have_attribute("style", width(25))
    expect(box.get_by_role("link", name="Read the report")).to_be_hidden()
    expect(consolidate_button(page)).to_have_count(0)  # no second job while one runs
    expect(page.get_by_test_id("latest-report")).to_have_count(0)

    # Prove there is no reload from here on: a reload would drop the marker and add a navigation.
    page.evaluate("window.__marker = 1")
    navigations = count_navigations(page)

    JobPart.objects.filter(job=job, key__in=["sample", "purpose"]).update(state=JobState.SUCCEEDED)
    Job.objects.filter(pk=job.pk).update(parts_done=3, heartbeat_at=timezone.now())
    expect(parts).to_have_text("3 of 4 parts", timeout=POLL_TIMEOUT)
    expect(bar).to_have_attribute("aria-valuenow", "75")
    expect(bar.locator("span")).to_have_attribute("style", width(75))
    expect(page.get_by_test_id("job-state")).to_have_text("Running")
    expect(box.get_by_role("link", name="Read the report")).to_be_hidden()
    assert page.evaluate("window.__marker") == 1
    assert navigations == []

    # What consolidation_assemble does on success: the last part, the report row, the job and the round.
    finished = timezone.now()
    JobPart.objects.filter(job=job).update(state=JobState.SUCCEEDED, finished_at=finished)
    Report.objects.create(
        round=round, job=job, input_fingerprint="f" * 64, json="{}", markdown="# Planted report\n",
        html='<!doctype html><html><body><article class="wb-report"><h1>Planted report</h1></article></body></html>',
    )
    Job.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED, parts_done=4, finished_at=finished,
                                         heartbeat_at=finished, input_fingerprint="f" * 64)
    DraftingRound.objects.filter(pk=round.pk).update(state=RoundState.CONSOLIDATED)

    expect(page.get_by_test_id("job-state")).to_have_text("Succeeded", timeout=POLL_TIMEOUT)
    expect(page.get_by_test_id("job-state")).to_have_class("badge job-state succeeded")
    expect(box).to_have_attribute("data-job-state", "succeeded")
    expect(parts).to_have_text("4 of 4 parts")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(bar.locator("span")).to_have_attribute("style", width(100))
    expect(box.locator("[data-role=error]")).to_be_hidden()
    report_link = box.get_by_role("link", name="Read the report")
    expect(report_link).to_be_visible()
    # The section is then redrawn as the server renders it: downloads and the button to run again.
    expect(page.get_by_test_id("latest-report")).to_be_visible(timeout=POLL_TIMEOUT)
    expect(consolidate_button(page)).to_have_text("Consolidate now")
    assert page.evaluate("window.__marker") == 1
    assert navigations == []

    report_link.click()
    page.wait_for_url(f"**/rounds/{round.pk}/report/")
    expect(page.get_by_test_id("report").get_by_role("heading", level=1)).to_have_text("Planted report")


def test_only_facilitators_get_the_consolidate_button(page, browser, live_server, facilitator, stakeholder,
                                                      closed_round):
    round = closed_round
    # Before any job: the facilitator gets the button; nobody else gets the section at all.
    with signed_in_page(browser, live_server, "fran") as fran_page:
        fran_page.goto(f"/rounds/{round.pk}/")
        expect(consolidate_button(fran_page)).to_have_text("Consolidate now")

    page.goto(f"/rounds/{round.pk}/")  # anonymous
    expect(page.get_by_test_id("round-state")).to_have_text("Closed")
    expect(page.get_by_test_id("round-jobs")).to_have_count(0)
    expect(page.get_by_role("button", name="Consolidate now")).to_have_count(0)
    log_in(page, "alice", PASSWORD)
    page.goto(f"/rounds/{round.pk}/")
    expect(page.get_by_test_id("round-state")).to_have_text("Closed")
    expect(page.get_by_test_id("round-jobs")).to_have_count(0)
    expect(page.get_by_role("button", name="Consolidate now")).to_have_count(0)

    # After a consolidation: both read the job and the report, still without a button.
    job = services.consolidation_request(actor=facilitator, round=round)  # runs eagerly on commit
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    for signed_in in (True, False):
        if not signed_in:
            page.context.clear_cookies()
        page.goto(f"/rounds/{round.pk}/")
        expect(page.get_by_test_id("round-state")).to_have_text("Consolidated")
        expect(page.get_by_test_id("job-state")).to_have_text("Succeeded")
        expect(page.get_by_test_id("latest-report")).to_be_visible()
        expect(page.get_by_test_id("consolidate-form")).to_have_count(0)
        expect(page.get_by_role("button", name="Consolidate now")).to_have_count(0)
        expect(page.get_by_role("button", name="Consolidate again")).to_have_count(0)
        if signed_in:
            expect(page.get_by_test_id("nav-profile")).to_have_text("alice")
        else:
            expect(page.get_by_test_id("nav-profile")).to_have_count(0)


def test_failed_job_shows_its_error_and_facilitators_can_consolidate_again(page, browser, live_server, facilitator,
                                                                          stakeholder, closed_round):
    round = closed_round
    now = timezone.now()
    failed = Job.objects.create(round=round, state=JobState.FAILED, parts_total=5, parts_done=2, attempts=1,
                                error=PLANTED_ERROR, requested_by=facilitator, started_at=now, finished_at=now)

    # A stakeholder sees the failed job but cannot start another.
    with signed_in_page(browser, live_server, "alice") as alice_page:
        alice_page.goto(f"/rounds/{round.pk}/")
        expect(alice_page.get_by_test_id("job-state")).to_have_text("Failed")
        # Why it failed (exception names, the failing clause) is for facilitators.
        expect(alice_page.get_by_test_id("job-status").locator("[data-role=error]")).to_have_text(FAILED_NOTE)
        expect(alice_page.get_by_text(PLANTED_ERROR)).to_have_count(0)
        expect(alice_page.get_by_test_id("consolidate-form")).to_have_count(0)
        expect(alice_page.get_by_role("button", name="Consolidate again")).to_have_count(0)

    log_in(page, "fran", PASSWORD)
    page.goto(f"/rounds/{round.pk}/")
    box = job_box(page)
    expect(page.get_by_test_id("job-state")).to_have_text("Failed")
    expect(page.get_by_test_id("job-state")).to_have_class("badge job-state failed")
    expect(box.locator("[data-role=error]")).to_be_visible()
    expect(box.locator("[data-role=error]")).to_have_text(PLANTED_ERROR)
    expect(box.locator("[data-role=parts]")).to_have_text("2 of 5 parts")
    expect(progress_bar(page)).to_have_attribute("aria-valuenow", "40")
    expect(box.get_by_role("link", name="Read the report")).to_be_hidden()
    expect(page.get_by_test_id("latest-report")).to_have_count(0)
    again = consolidate_button(page)
    expect(again).to_have_text("Consolidate again")

    again.click()
    page.wait_for_url(f"**/rounds/{round.pk}/")
    rerun = Job.objects.exclude(pk=failed.pk).get()  # a new job; the failed one stays as it was
    assert rerun.state == JobState.SUCCEEDED and Report.objects.filter(job=rerun).exists()
    failed.refresh_from_db()
    assert (failed.state, failed.error) == (JobState.FAILED, PLANTED_ERROR)
    expect(page.locator(".messages")).to_contain_text(f"Consolidation job {rerun.pk} succeeded: the report is ready.")
    expect(job_box(page)).to_contain_text(f"Consolidation job {rerun.pk}")
    expect(page.get_by_test_id("job-state")).to_have_text("Succeeded")
    expect(job_box(page).locator("[data-role=error]")).to_be_hidden()
    expect(page.get_by_text(PLANTED_ERROR)).to_have_count(0)
    expect(page.get_by_test_id("latest-report")).to_be_visible()
    expect(consolidate_button(page)).to_have_text("Consolidate now")


def test_a_job_failing_while_the_page_is_open_offers_to_consolidate_again(page, facilitator, closed_round):
    round = closed_round
    now = timezone.now()
    job = Job.objects.create(round=round, state=JobState.RUNNING, parts_total=3, parts_done=1, attempts=1,
                             requested_by=facilitator, dispatched_at=now, started_at=now, heartbeat_at=now)
    log_in(page, "fran", PASSWORD)
    page.goto(f"/rounds/{round.pk}/")
    expect(page.get_by_test_id("job-state")).to_have_text("Running")
    expect(page.get_by_test_id("consolidate-form")).to_have_count(0)
    page.evaluate("window.__marker = 1")
    navigations = count_navigations(page)

    services.job_fail(job.pk, PLANTED_ERROR)

    expect(page.get_by_test_id("job-state")).to_have_text("Failed", timeout=POLL_TIMEOUT)
    expect(job_box(page).locator("[data-role=error]")).to_have_text(PLANTED_ERROR)
    expect(consolidate_button(page)).to_have_text("Consolidate again", timeout=POLL_TIMEOUT)
    assert page.evaluate("window.__marker") == 1
    assert navigations == []
