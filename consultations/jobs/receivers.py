"""Queues a consolidation job when a round closes.

Connected from the app's ``ready()``: importing this module is enough. The rounds code sends
``round_closed`` after its closing has committed, so the job sees the closed round."""
from __future__ import annotations

import logging

from django.dispatch import receiver

from consultations.signals import round_closed

log = logging.getLogger(__name__)


@receiver(round_closed, dispatch_uid="consultations.jobs.consolidate_on_close")
def consolidate_on_close(sender, round_id=None, **kwargs):
    from consultations.models import DraftingRound

    from .services import consolidation_request

    round = DraftingRound.objects.filter(pk=round_id).first()
    if round is None:
        log.warning("round_closed for unknown round %s", round_id)
        return None
    return consolidation_request(actor=None, round=round)
