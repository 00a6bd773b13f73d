"""Demo data for this area."""


def load(*, users, groups) -> list[str]:
    return []
