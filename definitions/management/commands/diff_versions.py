"""python manage.py diff_versions <slug> <from-label> <to-label> [--format json|markdown|html]"""
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from definitions import diffing
from definitions.models import Definition


class Command(BaseCommand):
    help = "Print the redline between two versions of a definition."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("from_label")
        parser.add_argument("to_label")
        parser.add_argument("--format", choices=["json", "markdown", "html"], default="json")
        parser.add_argument("--only-changes", action="store_true")

    def handle(self, *args, slug, from_label, to_label, format, only_changes, **options):
        definition = Definition.objects.filter(slug=slug).first()
        if definition is None:
            raise CommandError(f"No definition with the slug {slug!r}.")
        versions = {v.label: v for v in definition.versions.filter(label__in=[from_label, to_label])}
        for label in (from_label, to_label):
            if label not in versions:
                raise CommandError(f"{slug} has no version labelled {label!r}.")
        old, new = versions[from_label], versions[to_label]
        if format == "json":
            text = json.dumps(diffing.diff_dict(old, new), ensure_ascii=False, indent=2) + "\n"
        else:
            text = diffing.diff_rendered(old, new, fmt=format, only_changes=only_changes)
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
