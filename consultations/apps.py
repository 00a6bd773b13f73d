"""Consultations: drafting rounds, comments, votes, dispositions and round reports."""
from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consultations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Closing a round queues its consolidation: the jobs area listens to `round_closed`.
        from .jobs import receivers  # noqa: F401
