"""Demo data. Each app contributes its part through a ``demo.load`` function of its own."""
from __future__ import annotations

from django.contrib.auth import get_user_model

from . import services
from .models import Stakeholder, StakeholderGroup

DEMO_PASSWORD = "workbench-demo"

GROUPS = [
    ("developers", "Developers", "People who build and ship AI systems and software."),
    ("civil-society", "Civil society", "Non-profits, advocates and community organisations."),
    ("industry", "Industry", "Companies that make or deploy AI systems."),
    ("academia", "Academia", "Researchers and educators."),
    ("legal", "Legal", "Lawyers and licensing experts."),
    ("government", "Government", "Public administrations and regulators."),
]

USERS = [
    # username, display name, group, affiliation, facilitator?
    ("facilitator", "Fran Facilitator", None, "Workbench demo steering group", True),
    ("alice", "Alice Developer", "developers", "Example Labs", False),
    ("bob", "Bob Advocate", "civil-society", "Digital Commons Association", False),
    ("carol", "Carol Industry", "industry", "Acme Models Ltd", False),
]


def load(*, password: str = DEMO_PASSWORD) -> list[str]:
    groups = {}
    for slug, name, description in GROUPS:
        groups[slug], _ = StakeholderGroup.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})
    User = get_user_model()
    users = {}
    for username, display, group, affiliation, facilitator in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.user_sign_up(
                username=username,
                password=password,
                display_name=display,
                group=groups.get(group),
                affiliation=affiliation,
                email=f"{username}@example.org",
            )
            Stakeholder.objects.filter(user=user).update(notify_by_email=True)
        if facilitator and not user.groups.filter(name="facilitators").exists():
            services.facilitator_grant(actor=None, user=user)
        users[username] = user
    summary = [f"{len(groups)} stakeholder groups, {len(users)} demo users"]
    from definitions import demo as definitions_demo

    summary += definitions_demo.load(users=users)
    from consultations import demo as consultations_demo

    summary += consultations_demo.load(users=users, groups=groups)
    return summary
