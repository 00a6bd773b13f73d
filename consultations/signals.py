"""Signals between the consultations areas.

``round_closed`` is sent (with ``round_id``) once a round's closing has committed, by whatever
closed it (the clock or a facilitator); the consolidation area listens and queues its job. A signal
here keeps the rounds code free of any import of the jobs code."""
from django.dispatch import Signal

round_closed = Signal()
