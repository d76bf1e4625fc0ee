"""python manage.py issue_titres --annee 2021-2022: a titre for each signed convention of the year that has none.

Each convention is issued in its own transaction: one refused (no SIREN...) does not stop the others, and running the
command again only issues what is still missing.
"""

from django.core.management.base import BaseCommand, CommandError

from conventions.models import AnneeScolaire, Convention
from documents.formats import pluriel
from facturation.models import TitreDePerception
from facturation.services import emettre_serie


class Command(BaseCommand):
    help = "Émet les titres de perception des conventions signées d'une année scolaire qui n'en ont pas encore."

    def add_arguments(self, parser):
        parser.add_argument("--annee", required=True, help="Année scolaire, par exemple 2021-2022.")
        parser.add_argument(
            "--sans-email", action="store_true", help="Ne pas annoncer les titres aux collectivités par e-mail."
        )

    def handle(self, *args, annee, sans_email=False, **options):
        try:
            annee_scolaire = AnneeScolaire.objects.get(libelle=annee)
        except AnneeScolaire.DoesNotExist:
            raise CommandError(f"Année scolaire « {annee} » inconnue (format attendu : 2021-2022).") from None
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
