"""python manage.py export_titres --annee 2022 --format csv|xlsx|zip --output FILE: the admin's export, unattended."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from documents.formats import pluriel
from facturation import exports
from facturation.pdf import PdfTitreAltere


class Command(BaseCommand):
    help = "Exporte les titres de perception d'un exercice budgétaire (CSV, XLSX ou ZIP des PDF)."

    def add_arguments(self, parser):
        # « --annee » as in the other commands, though it is the budget year here (the titres' exercice).
        parser.add_argument(
            "--annee", dest="exercice", required=True, type=int, help="Exercice budgétaire, par exemple 2022."
        )
        parser.add_argument("--academie", default="", help="seulement les titres de cette académie (code : 11)")
        parser.add_argument("--format", required=True, choices=sorted(exports.FORMATS), dest="format_")
        parser.add_argument("--output", required=True, type=Path, help="Fichier à écrire.")

    def handle(self, *args, exercice, format_, output, **options):
        if not output.parent.is_dir():
            raise CommandError(f"Le dossier « {output.parent} » n'existe pas.")
        titres = exports.titres_a_exporter(annee_budgetaire=exercice)
        if options["academie"]:
            titres = titres.filter(academie__code=options["academie"])
        try:
            content, _ = exports.exporter(format_, titres)
        except PdfTitreAltere as exc:
            raise CommandError(str(exc)) from exc
        output.write_bytes(content)
        nombre = len(titres)
        self.stdout.write(f"{pluriel(nombre, 'titre exporté', 'titres exportés')} de l'exercice {exercice} : {output}")
