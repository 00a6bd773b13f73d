"""Shared fixtures: one user per role, API clients, and the real-service helpers."""
from __future__ import annotations

import contextlib

import pytest
from rest_framework.test import APIClient

from workbench import services
from workbench.models import StakeholderGroup

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def groups(db):
    made = {}
    for slug, name in [("developers", "Developers"), ("civil-society", "Civil society"), ("industry", "Industry")]:
        made[slug], _ = StakeholderGroup.objects.get_or_create(slug=slug, defaults={"name": name})
    return made


def _user(username, group=None, facilitator=False):
    user = services.user_sign_up(username=username, password=PASSWORD, display_name=username.title(), group=group)
    if facilitator:
        services.facilitator_grant(actor=None, user=user)
    return user


@pytest.fixture
def facilitator(groups):
    return _user("fran", facilitator=True)


@pytest.fixture
def stakeholder(groups):
    """A signed-up stakeholder in the developers group."""
    return _user("alice", groups["developers"])


@pytest.fixture
def other_stakeholder(groups):
    """A second stakeholder, in civil society."""
    return _user("bob", groups["civil-society"])


@pytest.fixture
def outsider(groups):
    """Signed up, but in no stakeholder group yet."""
    return _user("olga")


@pytest.fixture
def api():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def facilitator_api(facilitator):
    return client_for(facilitator)


@pytest.fixture
def stakeholder_api(stakeholder):
    return client_for(stakeholder)


@pytest.fixture(scope="session", autouse=True)
def _close_worker_connections(django_db_setup, django_db_blocker):
    """Worker threads of the integration tests leave database connections open; end them so the
    test database can be dropped at the end of the run instead of being left behind."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session", autouse=True)
def _forget_test_queue():
    """Each run has a Celery queue of its own on Redis (see services_plugin); at the end drop it,
    its priority lists and kombu's binding key, so runs do not pile keys up in the test database."""
    yield
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return
    import redis

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with contextlib.suppress(redis.RedisError):  # best effort, after every test has run
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(
            queue, f"_kombu.binding.{queue}", *(f"{queue}\x06\x16{p}" for p in (3, 6, 9))
        )
