"""python manage.py import_communes FICHIER [--departement 11 | --academie 11] [--date-effet 2023-01-01] [--dry-run]
[--skip-invalid]"""

import datetime

from django.core.management import CommandError

from collectivites.importers import importer_communes
from collectivites.management.base import ImportCommand


def _date(valeur: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(valeur)
    except ValueError:
        raise CommandError(f"--date-effet invalide : « {valeur} » (une date aaaa-mm-jj est attendue).") from None


class Command(ImportCommand):
    help = (
        "Importe les communes du Code officiel géographique de l'INSEE (colonnes TYPECOM, COM, DEP, LIBELLE), "
        "la composition communale des EPCI (CODGEO, LIBGEO, EPCI, LIBEPCI), qui rattache chaque commune à son "
        "groupement et crée les groupements inconnus, ou les mouvements des communes (MOD, DATE_EFF, COM_AV, "
        "COM_AP…). Le type de fichier est reconnu à ses colonnes."
    )
    departement_help = "N'importer que ce département (11, 2A, 971…)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--date-effet",
            help="Date de la composition des EPCI décrite par le fichier (aaaa-mm-jj, par défaut aujourd'hui) : "
            "les adhésions aux groupements sont datées à partir d'elle.",
        )

    def run_import(self, path, options, **common):
        date_effet = _date(options["date_effet"]) if options["date_effet"] else None
        return importer_communes(path, date_effet=date_effet, **common)
