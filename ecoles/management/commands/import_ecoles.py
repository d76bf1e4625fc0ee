"""python manage.py import_ecoles FICHIER [--academie 11] [--departement 011] [--dry-run] [--skip-invalid]"""

from django.core.management.base import BaseCommand, CommandError

from collectivites.importers import FichierIllisible, Progression
from ecoles.importers import importer_ecoles


class Command(BaseCommand):
    help = (
        "Importe les écoles du premier degré d'un fichier du ministère (Annuaire de l'éducation, Adresse et "
        "géolocalisation des établissements, IPS des écoles), au format CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="Chemin du fichier CSV (séparateur « ; » ou « , », UTF-8).")
        parser.add_argument("--academie", default="", help="N'importer que cette académie (code : 11, ou nom).")
        parser.add_argument("--departement", default="", help="N'importer que ce département (011, 11, 2A…).")
        parser.add_argument("--dry-run", action="store_true", help="Tout vérifier et compter, sans rien enregistrer.")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Importer les lignes valides et signaler les autres."
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            default=None,
            help="Afficher la barre de progression (par défaut : seulement dans un terminal).",
        )

    def handle(self, *args, **options):
        show_progress = options["progress"] if options["progress"] is not None else self.stderr.isatty()
        try:
            rapport = importer_ecoles(
                options["fichier"],
                academie=options["academie"],
                departement=options["departement"],
                simulation=options["dry_run"],
                ignorer_invalides=options["skip_invalid"],
                progression=Progression(self.stderr) if show_progress else None,
            )
        except FichierIllisible as error:
            raise CommandError(str(error)) from None
        for line in rapport.lignes():
            self.stdout.write(line)
        if rapport.annule:
            raise CommandError(rapport.statut)
