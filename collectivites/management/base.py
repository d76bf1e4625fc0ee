"""What the reference-data import commands share: their options, the progress bar and the report."""

from django.core.management.base import BaseCommand, CommandError

from jobs.tabular import FichierIllisible, Progression


class ImportCommand(BaseCommand):
    """Subclasses set `help`, `departement_help` and implement `run_import(path, **common_options)`."""

    departement_help = "N'importer que ce département."

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="Chemin du fichier CSV (séparateur « ; » ou « , », UTF-8).")
        parser.add_argument("--departement", default="", help=self.departement_help)
        parser.add_argument("--academie", default="", help="N'importer que cette académie (code : 11, ou nom).")
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

    def run_import(self, path, options, **common):
        raise NotImplementedError

    def handle(self, *args, **options):
        show_progress = options["progress"] if options["progress"] is not None else self.stderr.isatty()
        try:
            rapport = self.run_import(
                options["fichier"],
                options,
                departement=options["departement"],
                academie=options["academie"],
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
