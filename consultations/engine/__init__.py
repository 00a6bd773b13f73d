"""Pure-Python analysis engines for consultations; nothing here imports Django, so the API, the
pages, the Celery jobs and the benchmarks share them: ``tally`` judges votes against a round's rule;
``duplicates``, ``themes`` and ``suggestions`` analyse comments and are imported by their full path.

The tally's names are re-exported here, all but the ``tally`` function itself: re-exporting it would
shadow the submodule of the same name (``import consultations.engine.tally as m`` would then give
the function), so it is ``from consultations.engine.tally import tally``.
"""
from .tally import (
    POSITIONS,
    STATUSES,
    UNAFFILIATED,
    Ballot,
    GroupTally,
    Rule,
    TargetTally,
    parse_threshold,
    tally_counts,
)

__all__ = [
    "POSITIONS",
    "STATUSES",
    "UNAFFILIATED",
    "Ballot",
    "GroupTally",
    "Rule",
    "TargetTally",
    "parse_threshold",
    "tally_counts",
]
