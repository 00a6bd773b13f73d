"""Load the demo data: stakeholder groups, users per role, a demo definition, rounds, comments and votes.

Idempotent: running it again changes nothing that is already there."""
from django.core.management.base import BaseCommand
from django.db import transaction

from workbench import demo


class Command(BaseCommand):
    help = "Create demo groups, users, a definition with versions, rounds, comments and votes (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=demo.DEMO_PASSWORD, help="Password for the demo users.")

    def handle(self, *args, password: str, **options):
        with transaction.atomic():
            summary = demo.load(password=password)
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(
            self.style.WARNING(
                f"Demo users facilitator, alice, bob and carol have the password {password!r}: for local use only."
            )
        )
