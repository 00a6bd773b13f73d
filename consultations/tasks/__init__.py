"""Celery tasks of the consultations app, one module per area; imported here so that Celery's
autodiscovery (which imports ``consultations.tasks``) registers them all."""
from .rounds import *  # noqa: F401,F403
from .jobs import *  # noqa: F401,F403
