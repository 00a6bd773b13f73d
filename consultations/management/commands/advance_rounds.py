"""Open and close rounds whose time has come, and send 48-hour reminders: what the Celery beat task
does every minute, for deployments without beat (run it from cron)."""
from django.core.management.base import BaseCommand

from consultations.services.rounds import rounds_advance


class Command(BaseCommand):
    help = "Open due rounds, close due rounds and send the 48-hour closing reminders (idempotent)."

    def handle(self, *args, **options):
        summary = rounds_advance()
        for key in ("opened", "closed", "reminded", "blocked"):
            ids = summary.get(key) or []
            label = {"blocked": "due but blocked (another round of the definition is open)"}.get(key, key)
            self.stdout.write(f"{label}: {len(ids)}" + (f" (rounds {', '.join(map(str, ids))})" if ids else ""))
