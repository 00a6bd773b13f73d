"""Builders for the votes tests: users in groups, recounts from the history."""
from __future__ import annotations

from collections import Counter

from consultations.models import Vote, VoteChange
from workbench import services
from workbench.models import StakeholderGroup

from ..conftest import PASSWORD


def make_voter(username: str, group: StakeholderGroup | None):
    return services.user_sign_up(username=username, password=PASSWORD, display_name=username.title(), group=group)


def ensure_group(slug: str, name: str | None = None) -> StakeholderGroup:
    group, _ = StakeholderGroup.objects.get_or_create(slug=slug, defaults={"name": name or slug.title()})
    return group


def current_counts(round) -> Counter:
    return Counter(Vote.objects.filter(round=round).values_list("anchor", "position"))


def recount_from_history(round) -> Counter:
    """The latest history row of each (voter, target) is the vote that counts."""
    latest = {}
    for voter_id, anchor, position in VoteChange.objects.filter(round=round).order_by("id").values_list(
        "voter_id", "anchor", "position"
    ):
        latest[(voter_id, anchor)] = position
    return Counter((anchor, position) for (_voter, anchor), position in latest.items())
