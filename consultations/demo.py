"""Demo rounds, comments and votes on the demo definition; each area adds its part."""
from __future__ import annotations


def load(*, users, groups) -> list[str]:
    from . import demo_rounds, demo_votes

    summary = demo_rounds.load(users=users, groups=groups)
    summary += demo_votes.load(users=users, groups=groups)
    return summary
