"""Vote pages: the buttons on the round page (current position highlighted), the form post that
redirects back to the clause, the JSON answer for fetch, the no-JavaScript block page, and the
results page."""
import pytest
from django.test import Client

from consultations.models import RoundState, Vote
from consultations.services import votes as services

from ..conftest import PASSWORD
from .rounds_factories import *  # noqa: F401,F403
from .rounds_factories import make_round

pytestmark = pytest.mark.django_db


def browser_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_round_page_shows_buttons_with_the_current_position_highlighted(stakeholder, open_round):
    services.vote_cast(actor=stakeholder, round=open_round, anchor="purpose", position="oppose")
    html = browser_for(stakeholder).get(f"/rounds/{open_round.pk}/").content.decode()
    assert 'id="votes-purpose"' in html and 'id="votes-whole"' in html
    box = html.split('id="votes-purpose"', 1)[1].split('<div class="vote-box"', 1)[0]
    assert 'class="small secondary vote-button oppose current" aria-pressed="true"' in box
    assert box.count('aria-pressed="false"') == 3
    assert "1 oppose" in box and "Short of quorum" not in box  # quorum 1: one voter is enough
    assert '<dialog id="block-dialog"' in html and 'minlength="20"' in html
    assert "consultations/votes.js" in html
    assert "A single block prevents consensus" in html


def test_readers_see_the_split_but_no_buttons(api, stakeholder, open_round):
    services.vote_cast(actor=stakeholder, round=open_round, anchor="purpose", position="support")
    html = Client().get(f"/rounds/{open_round.pk}/").content.decode()
    assert 'id="votes-purpose"' in html and "1 support" in html
    assert 'data-testid="vote-support"' not in html and "<dialog" not in html
    assert "Sign in to vote." in html


def test_a_form_post_votes_and_redirects_back_to_the_clause(stakeholder, open_round):
    client = browser_for(stakeholder)
    response = client.post(f"/rounds/{open_round.pk}/vote/", {"anchor": "purpose", "position": "support"})
    assert response.status_code == 302 and response["Location"] == f"/rounds/{open_round.pk}/#votes-purpose"
    assert Vote.objects.get().position == "support"
    page = client.get(response["Location"]).content.decode()
    assert "You now support clause purpose." in page


def test_a_refused_form_post_shows_the_message(outsider, open_round):
    client = browser_for(outsider)
    response = client.post(f"/rounds/{open_round.pk}/vote/", {"anchor": "purpose", "position": "support"}, follow=True)
    assert "Choose your stakeholder group in your profile to vote." in response.content.decode()
    assert not Vote.objects.exists()


def test_a_block_without_javascript_asks_for_the_rationale_on_a_page(stakeholder, open_round):
    client = browser_for(stakeholder)
    response = client.post(f"/rounds/{open_round.pk}/vote/", {"anchor": "purpose", "position": "block"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "A block needs a rationale of at least 20 characters" in html and 'name="rationale"' in html
    assert not Vote.objects.exists()
    done = client.post(f"/rounds/{open_round.pk}/vote/", {
        "anchor": "purpose", "position": "block", "rationale": "Samples need a documented size limit.",
        "next": f"/rounds/{open_round.pk}/#votes-purpose",
    })
    assert done.status_code == 302 and Vote.objects.get().position == "block"


def test_fetch_gets_json_with_the_fresh_box(stakeholder, open_round):
    client = browser_for(stakeholder)
    response = client.post(f"/rounds/{open_round.pk}/vote/", {"anchor": "", "position": "abstain"},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["vote"]["anchor"] is None and body["target"] == "votes-whole" and body["created"]
    assert 'vote-button abstain current" aria-pressed="true"' in body["html"]
    refused = client.post(f"/rounds/{open_round.pk}/vote/", {"anchor": "", "position": "block", "rationale": "no"},
                          HTTP_ACCEPT="application/json")
    assert refused.status_code == 400 and "at least 20 characters" in refused.json()["detail"]


def test_anonymous_form_posts_go_to_log_in(open_round):
    response = Client().post(f"/rounds/{open_round.pk}/vote/", {"anchor": "purpose", "position": "support"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Vote.objects.exists()


def test_results_page_lists_targets_by_status(stakeholder, other_stakeholder, facilitator, v1, django_assert_max_num_queries):
    round = make_round(facilitator, v1, quorum=2)
    for user in (stakeholder, other_stakeholder):
        services.vote_cast(actor=user, round=round, anchor="purpose", position="support")
    services.vote_cast(actor=stakeholder, round=round, anchor="criteria-li1", position="support")
    services.vote_cast(actor=other_stakeholder, round=round, anchor="criteria-li1", position="oppose")
    client = Client()
    with django_assert_max_num_queries(12):
        response = client.get(f"/rounds/{round.pk}/results/")
    html = response.content.decode()
    consensus = html.split('data-testid="status-consensus"', 1)[1].split('data-testid="status-contested"', 1)[0]
    assert 'data-testid="result-purpose"' in consensus and "consensus: 100% support across 2 groups" in consensus
    contested = html.split('data-testid="status-contested"', 1)[1].split('data-testid="status-blocked"', 1)[0]
    assert 'data-testid="result-criteria-li1"' in contested
    divisive = html.split('data-testid="most-divisive"', 1)[1]
    assert "criteria-li1" in divisive.split('data-testid="most-consensual"', 1)[0]
    assert 'data-testid="total-voters">2 voters' in html


def test_results_of_a_closed_round(stakeholder, facilitator, v1):
    round = make_round(facilitator, v1, state=RoundState.CLOSED)
    response = Client().get(f"/rounds/{round.pk}/results/")
    assert response.status_code == 200 and "Final counts of the round." in response.content.decode()


def test_results_of_an_unknown_round_is_404():
    assert Client().get("/rounds/999999/results/").status_code == 404
