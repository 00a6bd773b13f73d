"""Carry-forward: reading a later version shows earlier rounds' comments on the same anchors with
their dispositions, marked "clause revised in <label>" when the clause changed later."""
import pytest
from django.contrib.auth.models import AnonymousUser

from consultations.selectors import rounds as selectors
from consultations.services import comments, rounds

from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import V3, make_round, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(facilitator, stakeholder, other_stakeholder, definition, v1):
    round1 = make_round(facilitator, v1)
    on_purpose = comments.comment_create(actor=stakeholder, round=round1, anchor="purpose", body="Say why.",
                                         stance="concern")
    on_small = comments.comment_create(actor=other_stakeholder, round=round1, anchor="criteria-li1", body="Small is good.",
                                       stance="support")
    on_removed = comments.comment_create(actor=stakeholder, round=round1, anchor="criteria-li2", body="Remove this?")
    hidden = comments.comment_create(actor=other_stakeholder, round=round1, anchor="purpose", body="spam")
    comments.comment_hide(actor=facilitator, comment=hidden, reason="spam")
    comments.comment_create(actor=other_stakeholder, round=round1, parent=on_purpose, body="A reply stays in its thread.")
    comments.comment_dispose(actor=facilitator, comment=on_purpose, disposition="accepted", response="Done in 0.2.")
    rounds.round_close(actor=facilitator, round=round1)
    v2 = make_version(definition, "0.2", V2, previous=v1)
    v3 = make_version(definition, "0.3", V3, previous=v2)
    return {"round1": round1, "v2": v2, "v3": v3, "purpose": on_purpose, "small": on_small, "removed": on_removed}


def test_later_version_shows_earlier_comments_with_dispositions(stakeholder, history):
    v2 = history["v2"]
    carried = selectors.carried_forward(stakeholder, v2, [c.anchor for c in v2.clauses.all()])
    assert set(carried) == {"purpose", "criteria-li1"}  # criteria-li2 is gone from 0.2; hidden ones never carry
    [purpose] = carried["purpose"].comments
    assert purpose.pk == history["purpose"].pk and purpose.disposition == "accepted"
    assert purpose.response == "Done in 0.2." and purpose.revised_in == "0.2"
    assert carried["purpose"].total == 1 and carried["purpose"].rounds == [(history["round1"], 1)]
    [small] = carried["criteria-li1"].comments
    assert small.revised_in is None  # unchanged in 0.2


def test_revision_is_found_in_the_first_later_version_that_changed_it(stakeholder, history):
    v3 = history["v3"]
    carried = selectors.carried_forward(stakeholder, v3, [c.anchor for c in v3.clauses.all()])
    assert carried["purpose"].comments[0].revised_in == "0.2"
    assert carried["criteria-li1"].comments[0].revised_in == "0.3"


def test_members_only_rounds_do_not_carry_to_anonymous_readers(facilitator, stakeholder, definition, v1):
    round1 = make_round(facilitator, v1, visibility="members")
    comments.comment_create(actor=stakeholder, round=round1, anchor="purpose", body="Members only.")
    rounds.round_close(actor=facilitator, round=round1)
    v2 = make_version(definition, "0.2", V2, previous=v1)
    assert selectors.carried_forward(AnonymousUser(), v2, ["purpose"]) == {}
    assert selectors.carried_forward(stakeholder, v2, ["purpose"])["purpose"].total == 1


def test_version_page_hook_attaches_carried_comments(stakeholder, history):
    v2 = history["v2"]
    clauses = list(v2.clauses.order_by("ordinal"))
    context = selectors.version_page_context(stakeholder, v2, clauses)
    assert context["clause_tools_template"] == "consultations/_version_clause_tools.html"
    by_anchor = {c.anchor: c for c in clauses}
    assert by_anchor["purpose"].wb_carried.comments[0].revised_in == "0.2"
    assert by_anchor["criteria-li3"].wb_carried is None


def test_carry_forward_queries_do_not_grow_with_comments(facilitator, stakeholder, other_stakeholder, history,
                                                          django_assert_max_num_queries):
    v2 = history["v2"]
    anchors = [c.anchor for c in v2.clauses.all()]
    with django_assert_max_num_queries(6):
        selectors.carried_forward(stakeholder, v2, anchors)
    # Ten times the comments (through the import, into the closed round): the same number of queries.
    from consultations.services import comment_io

    rows = "".join(f"x{i},Person {i},,purpose,support,Point {i},,\n" for i in range(40))
    comment_io.comments_import(actor=facilitator, round=history["round1"], filename="more.csv",
                               data=("external_id,author,group,anchor,stance,body,suggestion,created_at\n" + rows).encode())
    with django_assert_max_num_queries(6):
        carried = selectors.carried_forward(stakeholder, v2, anchors)
    assert carried["purpose"].total == 41 and len(carried["purpose"].comments) == selectors.CARRIED_PER_CLAUSE


def test_version_page_shows_the_revised_marker(client, history):
    page = client.get("/definitions/sample/0.2/").content.decode()
    assert "clause revised in 0.2" in page and "Say why." in page and "Done in 0.2." in page
    assert "round 1 on 0.1" in page
