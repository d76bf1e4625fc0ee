"""python manage.py issue_titres --annee 2021-2022: a titre for each signed convention of the year that has none.

Each convention is issued in its own transaction: one refused (no SIREN...) does not stop the others, and running the
command again only issues what is still missing.
"""

from django.core.management.base import BaseCommand, CommandError

from conventions.management.options import ajouter_option_annee, annee_des_options
from conventions.models import Convention
from documents.formats import pluriel
from facturation.models import TitreDePerception
from facturation.services import emettre_serie


class Command(BaseCommand):
    help = "Émet les titres de perception des conventions signées d'une année scolaire qui n'en ont pas encore."

    def add_arguments(self, parser):
        ajouter_option_annee(parser)
        parser.add_argument(
            "--sans-email", action="store_true", help="Ne pas annoncer les titres aux collectivités par e-mail."
        )

    def handle(self, *args, annee, sans_email=False, **options):
        annee_scolaire = annee_des_options(annee, options["academie"])
        deja = TitreDePerception.objects.vivants().values("convention")
        conventions = Convention.objects.for_annee(annee_scolaire).signees().exclude(pk__in=deja)
        bilan = emettre_serie(conventions, notifier=not sans_email)
        for titre in bilan.emis:
            self.stdout.write(f"Titre n° {titre.numero} – {titre.convention_reference} – {titre.debiteur_nom}")
        nombre = len(bilan.emis)
        self.stdout.write(f"{pluriel(nombre, 'titre émis', 'titres émis')} pour l'année scolaire {annee}.")
        for message in [*bilan.avertissements, *(motif for _, motif in bilan.refus)]:
            self.stderr.write(message)
        if bilan.refus:
            nombre = len(bilan.refus)
            raise CommandError(f"{pluriel(nombre, 'convention non facturée', 'conventions non facturées')}.")
