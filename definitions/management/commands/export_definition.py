"""python manage.py export_definition <slug> [--label L] [--output FILE] [--no-front-matter]"""
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from definitions import exporting
from definitions.models import Definition, VersionStatus


class Command(BaseCommand):
    help = "Export a version as Markdown (default: the final version, else the latest published, else the latest)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--label")
        parser.add_argument("--output", help="Write to this file instead of standard output.")
        parser.add_argument("--no-front-matter", action="store_true")

    def handle(self, *args, slug, label, output, no_front_matter, **options):
        definition = Definition.objects.filter(slug=slug).first()
        if definition is None:
            raise CommandError(f"No definition with the slug {slug!r}.")
        versions = definition.versions.all()
        if label:
            version = versions.filter(label=label).first()
            if version is None:
                raise CommandError(f"{slug} has no version labelled {label!r}.")
        else:
            version = (
                versions.filter(status=VersionStatus.FINAL).first()
                or versions.filter(status=VersionStatus.PUBLISHED).order_by("-sequence").first()
                or versions.order_by("-sequence").first()
            )
            if version is None:
                raise CommandError(f"{slug} has no versions yet.")
        data = exporting.export_markdown(version, with_front_matter=not no_front_matter).encode("utf-8")
        if output:
            Path(output).write_bytes(data)
            self.stderr.write(f"Wrote {version.label} to {output} ({len(data):,} bytes)")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
