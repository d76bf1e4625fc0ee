"""python manage.py import_communes FICHIER [--departement 11] [--dry-run] [--skip-invalid]"""

from django.core.management.base import BaseCommand, CommandError

from collectivites.importers import FichierIllisible, Progression, importer_communes


class Command(BaseCommand):
    help = (
        "Importe les communes du Code officiel géographique de l'INSEE (colonnes TYPECOM, COM, DEP, LIBELLE), ou "
        "la composition communale des EPCI (CODGEO, LIBGEO, EPCI, LIBEPCI), qui rattache chaque commune à son "
        "groupement et crée les groupements inconnus. Le type de fichier est reconnu à ses colonnes."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="Chemin du fichier CSV (séparateur « ; » ou « , », UTF-8).")
        parser.add_argument("--departement", default="", help="N'importer que ce département (11, 2A, 971…).")
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
            rapport = importer_communes(
                options["fichier"],
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
