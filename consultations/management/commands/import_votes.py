"""Import votes recorded elsewhere (a meeting, a working group's spreadsheet) into a round."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consultations.models import DraftingRound
from consultations.services.votes import vote_import
from workbench.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import votes into an open or closed round from a CSV, JSON Lines or JSON array file with the columns "
        "voter, group, anchor, position, rationale (anchor empty = the whole version). Voters who are not users become imported "
        "stakeholders. A bad row stops the import (nothing is stored) and is reported with its line number; "
        "importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "jsonl", "json"], default=None,
                            help="The file's format (default: from its extension, else guessed from its content).")

    def handle(self, *args, round_id, file, format=None, **options):
        round = DraftingRound.objects.filter(pk=round_id).first()
        if round is None:
            raise CommandError(f"No round {round_id}.")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None
        try:
            result = vote_import(actor=None, round=round, file_bytes=data, filename=file.name, fmt=format)
        except DomainError as exc:
            raise CommandError(f"{file}: {exc.message} Nothing was imported.") from None
        self.stdout.write(
            f"{file}: {result.rows} rows; {result.created} new votes, {result.changed} changed, "
            f"{result.unchanged} unchanged; {result.stakeholders_created} new imported stakeholders."
        )
