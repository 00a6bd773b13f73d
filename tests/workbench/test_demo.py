"""load_demo: idempotent, with the groups and users the README promises."""
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from workbench.models import Stakeholder, StakeholderGroup
from workbench.roles import is_facilitator

pytestmark = pytest.mark.django_db


def _snapshot():
    from definitions.models import Clause, DefinitionVersion
    from consultations.models import Comment, DraftingRound, Vote

    return {
        "groups": StakeholderGroup.objects.count(),
        "stakeholders": Stakeholder.objects.count(),
        "versions": DefinitionVersion.objects.count(),
        "clauses": Clause.objects.count(),
        "rounds": DraftingRound.objects.count(),
        "comments": Comment.objects.count(),
        "votes": Vote.objects.count(),
    }


def test_load_demo_creates_groups_users_and_a_final_definition(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "for local use only" in out and "workbench-demo" in out
    assert set(StakeholderGroup.objects.values_list("slug", flat=True)) == {
        "developers", "civil-society", "industry", "academia", "legal", "government",
    }
    for username, group in [("alice", "developers"), ("bob", "civil-society"), ("carol", "industry")]:
        user = authenticate(username=username, password="workbench-demo")
        assert user is not None and user.stakeholder.group.slug == group
        assert not is_facilitator(user)
    assert is_facilitator(authenticate(username="facilitator", password="workbench-demo"))
    from definitions.models import Definition

    versions = Definition.objects.get(slug="open-model-definition").versions.order_by("sequence")
    assert [(v.label, v.status) for v in versions] == [("0.1", "published"), ("0.2", "published"), ("1.0", "final")]


def test_load_demo_twice_changes_nothing():
    call_command("load_demo")
    first = _snapshot()
    call_command("load_demo")
    assert _snapshot() == first


def test_load_demo_password_option():
    call_command("load_demo", "--password", "another-long-passphrase")
    assert authenticate(username="alice", password="another-long-passphrase") is not None
