"""50 comment submissions at once on one clause, through the API against PostgreSQL: all land,
none twice."""
import threading

import pytest
from django.db import connection, connections

from consultations.models import Comment
from tests.conftest import client_for
from tests.consultations.rounds_factories import V1, make_definition, make_round, make_version
from workbench import services
from workbench.models import StakeholderGroup

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WRITERS = 50


def test_fifty_concurrent_comments_on_one_clause_all_land_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert connection.vendor == "postgresql"
    group = StakeholderGroup.objects.create(slug="developers", name="Developers")
    facilitator = services.user_sign_up(username="fran", password="correct-horse-battery-staple")
    services.facilitator_grant(actor=None, user=facilitator)
    round = make_round(facilitator, make_version(make_definition(), "0.1", V1))
    users = [services.user_sign_up(username=f"writer{i}", password="correct-horse-battery-staple", group=group)
             for i in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    statuses, errors = [], []

    def submit(i, user):
        try:
            client = client_for(user)
            barrier.wait(timeout=30)
            response = client.post(f"/api/rounds/{round.pk}/comments/",
                                   {"anchor": "purpose", "body": f"Comment number {i}", "stance": "support"}, format="json")
            statuses.append(response.status_code)
        except Exception as exc:  # surfaced in the assertion below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(i, user)) for i, user in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and statuses == [201] * WRITERS
    bodies = list(Comment.objects.filter(round=round, anchor="purpose").values_list("body", flat=True))
    assert len(bodies) == WRITERS
    assert sorted(bodies) == sorted(f"Comment number {i}" for i in range(WRITERS))
