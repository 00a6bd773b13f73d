"""What a report says about a small round with known content, in JSON, Markdown and HTML."""
from __future__ import annotations

import json

import pytest

from consultations.models import Report

from .conftest import SUGGESTION

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(closed_round, v2, facilitator, run_job):
    job = run_job(closed_round, facilitator)
    assert job.state == "succeeded", job.error
    stored = Report.objects.get(job=job)
    return stored, json.loads(stored.json), closed_round.test_ids


def _section(data, anchor):
    return next(s for s in data["clauses"] if s["anchor"] == anchor)


def test_report_has_round_version_participation_and_every_clause_in_order(report):
    stored, data, ids = report
    assert data["round"]["number"] == 1 and data["version"]["label"] == "0.1"
    assert [s["anchor"] for s in data["clauses"]] == [None, "sample", "purpose", "criteria-li1", "criteria-li2"]
    p = data["participation"]
    assert p["comments"] == 23  # 25 written, one hidden and one withdrawn left out
    assert p["stakeholders"] == 14 and p["voters"] == 7  # the author of only hidden or withdrawn comments is left out
    assert p["by_group"]["unaffiliated"]["commenters"] == 1
    assert sum(g["comments"] for g in p["by_group"].values()) == p["comments"]
    for section in data["clauses"]:
        assert {"anchor", "tally", "stances", "themes", "duplicate_groups", "suggestions", "dispositions",
                "participation"} <= set(section)


def test_clause_tally_stances_and_participation(report):
    _, data, ids = report
    purpose = _section(data, "purpose")
    assert purpose["tally"]["counts"] == {"support": 5, "oppose": 1, "abstain": 1, "block": 0}
    assert purpose["tally"]["status"] == "consensus"
    assert purpose["tally"]["needed"].startswith("consensus")
    assert purpose["stances"] == {"support": 8, "oppose": 5, "concern": 6, "question": 1, "neutral": 0}
    assert purpose["participation"]["comments"] == 20 and purpose["participation"]["voters"] == 7
    assert _section(data, "criteria-li1")["tally"]["status"] == "blocked"
    assert _section(data, "criteria-li2")["tally"]["status"] == "no-quorum"
    whole = _section(data, None)
    assert whole["tally"]["counts"]["support"] == 3 and whole["participation"]["comments"] == 2


def test_form_letters_form_one_duplicate_group_and_count_once_in_themes(report):
    _, data, ids = report
    purpose = _section(data, "purpose")
    groups = purpose["duplicate_groups"]
    assert len(groups) == 1
    assert groups[0]["comment_ids"] == ids["campaign"] and groups[0]["size"] == 6
    assert groups[0]["exemplar_comment_id"] in ids["campaign"]
    themed = {cid for theme in purpose["themes"] for cid in theme["comment_ids"]}
    assert len(themed & set(ids["campaign"])) <= 1  # the campaign counts once


def test_themes_gather_the_planted_topics(report):
    _, data, ids = report
    themes = _section(data, "purpose")["themes"]
    assert themes
    licence = next(t for t in themes if set(ids["licence"]) <= set(t["comment_ids"]))
    assert {"licence", "restrictions"} & set(licence["keywords"])
    assert licence["label"] == " / ".join(licence["keywords"][:3])
    assert licence["representative_comment_id"] in licence["comment_ids"]
    assert not set(ids["data"]) & set(licence["comment_ids"])
    data_theme = [t for t in themes if set(ids["data"]) & set(t["comment_ids"])]
    assert len(data_theme) == 1 and set(ids["data"]) <= set(data_theme[0]["comment_ids"])


def test_suggestions_are_merged_and_redlined_against_the_clause(report):
    _, data, ids = report
    suggestions = _section(data, "purpose")["suggestions"]
    assert [s["comment_ids"] for s in suggestions] == [ids["suggestions"], [ids["other_suggestion"]]]
    assert suggestions[0]["markdown"] == SUGGESTION
    assert suggestions[0]["redline"] == "This definition explains what a sample is{++ and why it matters++}."
    assert "redline_html" not in suggestions[0]


def test_disposition_table_lists_every_visible_comment_with_pending_where_unanswered(report):
    _, data, ids = report
    rows = _section(data, "purpose")["dispositions"]
    assert rows[0]["disposition"] == "pending" and rows[0]["response"] == ""
    listed = [cid for row in rows for cid in row["comment_ids"]]
    assert sorted(listed) == sorted(ids["campaign"] + ids["data"] + ids["licence"] + ids["suggestions"] + [ids["other_suggestion"]])
    assert ids["hidden"] not in listed and ids["withdrawn"] not in listed
    assert {"disposition": "accepted", "response": "Adopted in 0.2.", "comment_ids": [ids["suggestions"][0]]} in rows
    assert data["dispositions"]["pending"] == 20 and data["dispositions"]["accepted"] == 1


def test_diff_to_the_next_version_links_changes_to_accepted_comments(report):
    _, data, ids = report
    diff = data["diff"]
    assert (diff["from"], diff["to"]) == ("0.1", "0.2")
    purpose = next(c for c in diff["clauses"] if c["to_anchor"] == "purpose")
    assert purpose["op"] == "modified"
    assert purpose["comment_ids"] == ids["suggestions"][:2]  # accepted and partially accepted, not the pending one
    assert "{++ and why it matters++}" in purpose["redline"]
    assert all(c["op"] != "equal" for c in diff["clauses"])


def test_no_later_version_means_no_diff(closed_round, facilitator, run_job):
    job = run_job(closed_round, facilitator)
    assert json.loads(Report.objects.get(job=job).json)["diff"] is None


def test_markdown_and_html_carry_the_same_content_and_escape_text(report, closed_round):
    stored, data, ids = report
    md, page = stored.markdown, stored.html
    assert md.startswith("# Round 1 report: Round for comment")
    assert "## Changes from 0.1 to 0.2" in md and "### Duplicate groups" in md and "| Pending |" in md
    assert f"6 copies of comment #{ids['campaign'][0]}" in md
    assert page.startswith("<!DOCTYPE html>") and 'class="wb-report"' in page
    assert '<span class="bar vote-bar"' in page and 'class="support" style="width:' in page
    assert "<ins> and why it matters</ins>" in page
    assert "Adopted in 0.2." in page


def test_html_escapes_user_text(closed_round, facilitator, run_job):
    from consultations.models import Comment

    Comment.objects.filter(pk=closed_round.test_ids["other_suggestion"]).update(response="<script>alert(1)</script>")
    job = run_job(closed_round, facilitator)
    page = Report.objects.get(job=job).html
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
