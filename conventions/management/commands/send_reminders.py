"""`python manage.py send_reminders`: reminds the collectivités that have not returned their convention in time.

Meant to run daily (cron, or Celery beat with `conventions.tasks.relancer_retours`); each convention is reminded once.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from conventions.campagne import conventions_a_relancer, lancer_relances
from conventions.management.options import ajouter_option_annee, annee_des_options
from documents.formats import pluriel


class Command(BaseCommand):
    help = (
        "Relance les collectivités qui n'ont pas retourné leur convention signée "
        "RELANCE_RETOUR_JOURS jours après son envoi (une seule relance par convention)."
    )

    def add_arguments(self, parser):
        ajouter_option_annee(parser, required=False)
        parser.add_argument("--dry-run", action="store_true", help="affiche les conventions à relancer sans envoyer")

    def handle(self, *args, **options):
        annee = None
        if options["annee"]:
            annee = annee_des_options(options["annee"], options["academie"])
        conventions = conventions_a_relancer(annee).select_related("collectivite").order_by("reference")
        self.stdout.write(
            f"{pluriel(conventions.count(), 'convention à relancer', 'conventions à relancer')} "
            f"(envoyées depuis plus de {settings.RELANCE_RETOUR_JOURS} jours, non retournées)."
        )
        for convention in conventions:
            self.stdout.write(f"- {convention.reference} : {convention.collectivite}")
        if options["dry_run"]:
            return
        for traitement in lancer_relances(annee):
            compteurs = traitement.compteurs()
            self.stdout.write(
                f"Traitement n° {traitement.pk} ({traitement.annee}) : "
                f"{pluriel(compteurs['faits'], 'élément traité', 'éléments traités')}, "
                f"{pluriel(compteurs['echecs'], 'échec')}, {compteurs['restants']} en file d'attente."
            )
