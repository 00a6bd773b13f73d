"""python manage.py import_version <definition-slug> <file.md> --label <label> [--title <title>] [--publish]"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from definitions import services
from definitions.models import Definition
from workbench.errors import DomainError


class Command(BaseCommand):
    help = "Import a Markdown file as a new version of a definition (created when missing)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("file", help="A UTF-8 Markdown file, or - for standard input.")
        parser.add_argument("--label", required=True)
        parser.add_argument("--title", help="Title of the definition, when it is created by this import.")
        parser.add_argument("--change-note", default="")
        parser.add_argument("--publish", action="store_true", help="Publish the version at once.")

    def handle(self, *args, slug, file, label, title, change_note, publish, **options):
        from django.db import transaction

        try:
            if file == "-":
                import sys

                data = sys.stdin.buffer.read()
            else:
                path = Path(file)
                if not path.is_file():
                    raise CommandError(f"No such file: {file}")
                data = path.read_bytes()
            markdown = services.decode_markdown(data)
            with transaction.atomic():
                definition = Definition.objects.filter(slug=slug).first()
                if definition is None:
                    definition = services.definition_create(actor=None, slug=slug, title=title or slug.replace("-", " ").title())
                version = services.version_import(
                    actor=None, definition=definition, label=label, markdown=markdown, change_note=change_note
                )
                if publish:
                    version = services.version_publish(actor=None, version=version)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{version.label} {version.clause_count} clauses ({version.status})")
