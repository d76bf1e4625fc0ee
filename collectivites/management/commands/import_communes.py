"""python manage.py import_communes FICHIER [--departement 11] [--dry-run] [--skip-invalid]"""

from collectivites.importers import importer_communes
from collectivites.management.base import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe les communes du Code officiel géographique de l'INSEE (colonnes TYPECOM, COM, DEP, LIBELLE), ou "
        "la composition communale des EPCI (CODGEO, LIBGEO, EPCI, LIBEPCI), qui rattache chaque commune à son "
        "groupement et crée les groupements inconnus. Le type de fichier est reconnu à ses colonnes."
    )
    departement_help = "N'importer que ce département (11, 2A, 971…)."

    def run_import(self, path, options, **common):
        return importer_communes(path, **common)
