"""Import comments from another channel into a round: CSV or JSON Lines (see comment_io)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consultations.models import DraftingRound
from consultations.services.comment_io import comments_import
from workbench.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import comments into a round from a CSV or JSON Lines file with the columns external_id, author, "
        "group, anchor, stance, body, suggestion, created_at. Rows already imported are skipped; a bad row "
        "stops the import (nothing is stored) and is reported with its line number."
    )

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)
        parser.add_argument("file", type=Path)

    def handle(self, *args, round_id, file, **options):
        round = DraftingRound.objects.filter(pk=round_id).first()
        if round is None:
            raise CommandError(f"No round {round_id}.")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None
        try:
            result = comments_import(actor=None, round=round, data=data, filename=file.name)
        except DomainError as exc:
            raise CommandError(f"{file}: {exc.message} Nothing was imported.") from None
        self.stdout.write(
            f"{file}: {result.rows} rows; {result.created} comments imported, {result.unchanged} already present; "
            f"{result.stakeholders_created} new imported stakeholders."
        )
