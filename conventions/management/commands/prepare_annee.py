"""`manage.py prepare_annee 2022-2023 --from 2021-2022`: the new year and its draft conventions, with a report."""

import contextlib
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from conventions.annees import PreparationImpossible, preparer_annee
from conventions.models import AnneeScolaire
from documents.formats import euros, pluriel


def _montant(value: str) -> Decimal:
    try:
        montant = Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise CommandError(f"--tarif invalide : « {value} » n'est pas un montant (par exemple 50 ou 50,00).") from None
    if montant < 0 or montant != montant.quantize(Decimal("0.01")):
        raise CommandError(f"--tarif invalide : « {value} » (un montant positif, au centime près).")
    return montant


class Command(BaseCommand):
    help = (
        "Prépare une année scolaire à partir de la précédente : une convention en brouillon pour chaque convention "
        "signée, avec ses écoles encore ouvertes. Relancée, elle ne change rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("annee", help="l'année à préparer, par exemple 2022-2023")
        parser.add_argument("--from", dest="precedente", required=True, help="l'année reprise, par exemple 2021-2022")
        parser.add_argument("--academie", default="", help="code de l'académie, si l'année existe dans plusieurs")
        parser.add_argument("--tarif", help="participation par école en euros (par défaut : celle de l'année reprise)")
        parser.add_argument("--signataire-prenom", help="prénom du signataire de l'académie")
        parser.add_argument("--signataire-nom", help="nom du signataire de l'académie")
        parser.add_argument("--signataire-titre", help="titre complet du signataire de l'académie")
        parser.add_argument(
            "--dry-run", action="store_true", help="dire ce que la préparation ferait, sans rien enregistrer"
        )

    def handle(self, *args, **options):
        try:
            precedente = AnneeScolaire.objects.par_libelle(options["precedente"], options["academie"], "--from")
        except (AnneeScolaire.DoesNotExist, AnneeScolaire.MultipleObjectsReturned) as exc:
            raise CommandError(str(exc)) from None
        valeurs = {
            "tarif_par_ecole": _montant(options["tarif"]) if options["tarif"] else None,
            "signataire_prenom": options["signataire_prenom"],
            "signataire_nom": options["signataire_nom"],
            "signataire_titre": options["signataire_titre"],
        }
        try:
            # A dry run prepares everything in one transaction, then rolls it back; a real one keeps each
            # renewal's own transaction (conventions.annees).
            with transaction.atomic() if options["dry_run"] else contextlib.nullcontext():
                annee, creee, rapports = preparer_annee(options["annee"], precedente, **valeurs)
                echecs = self.ecrire_rapport(annee, creee, rapports)
                if options["dry_run"]:
                    transaction.set_rollback(True)
        except PreparationImpossible as exc:
            raise CommandError(str(exc)) from exc
        if options["dry_run"]:
            self.stdout.write("Simulation : rien n'a été enregistré.")
        if echecs:
            # After the whole report: the command fails, so that a script notices; the others are prepared.
            raise CommandError(
                f"{pluriel(len(echecs), 'convention non reconduite', 'conventions non reconduites')} "
                f"({', '.join(r.source.reference for r in echecs)}) : voir le détail ci-dessus ; relancez la "
                "commande une fois corrigé, elle ne refait pas ce qui est fait."
            )

    def ecrire_rapport(self, annee, creee, rapports) -> list:
        etat = "créée" if creee else "existait déjà (inchangée)"
        self.stdout.write(
            f"Année {annee} {etat} : participation de {euros(annee.tarif_par_ecole)} par école, "
            f"signataire {annee.signataire}."
        )
        for rapport in rapports:
            self.stdout.write(f"- {rapport.source.reference} → {rapport.resume()}")
        nouvelles = [r for r in rapports if r.creee]
        echecs = [r for r in rapports if r.echec]
        retirees = sum(len(r.retirees) for r in nouvelles)
        proposees = sum(len(r.proposees) for r in nouvelles)
        self.stdout.write(
            self.style.SUCCESS(
                f"{pluriel(len(nouvelles), 'convention préparée', 'conventions préparées')}, "
                f"{pluriel(len(rapports) - len(nouvelles) - len(echecs), 'déjà présente', 'déjà présentes')} ; "
                f"{pluriel(retirees, 'école retirée', 'écoles retirées')}, "
                f"{pluriel(proposees, 'école à proposer', 'écoles à proposer')}."
            )
        )
        return echecs
