"""python manage.py import_ecoles FICHIER [--academie 11] [--departement 011] [--dry-run] [--skip-invalid]"""

from collectivites.management.base import ImportCommand
from ecoles.importers import importer_ecoles


class Command(ImportCommand):
    help = (
        "Importe les écoles du premier degré d'un fichier du ministère (Annuaire de l'éducation, Adresse et "
        "géolocalisation des établissements, IPS des écoles), au format CSV."
    )
    departement_help = "N'importer que ce département (011, 11, 2A…)."

    def run_import(self, path, options, **common):
        return importer_ecoles(path, **common)
