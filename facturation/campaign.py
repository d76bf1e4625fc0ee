"""What facturation adds to conventions' yearly campaign (registered in FacturationConfig.ready()): the batch that
issues the titres de perception, and the amounts issued and paid in the follow-up of a year."""

from decimal import Decimal

from django.db.models import Sum

from conventions.campaign import enregistrer_montants, enregistrer_tache, lancer_par_annee
from conventions.models import Convention, Traitement

TITRES = "titres"
LIBELLE_TITRES = "Émission des titres de perception"
TACHE_TITRES = "facturation.tasks.emettre_titre_element"


def lancer_emission(conventions, user=None) -> list[Traitement]:
    """Titres de perception in bulk for the signed conventions of the selection (a convention that already has its
    titre gets no second one)."""
    return lancer_par_annee(TITRES, conventions.filter(etat=Convention.Etat.SIGNEE), user)


def montants_par_departement(conventions) -> dict[str, tuple[Decimal, Decimal]]:
    """(issued, paid) per département of the conventions' collectivités."""
    par_departement = conventions.values_list("collectivite__departement")
    # Two queries, not one: joining titres and their payments at once would count each titre once per payment.
    emis = dict(par_departement.annotate(s=Sum("titres__montant")))
    paye = dict(par_departement.annotate(s=Sum("titres__paiements__montant")))
    return {dep: (total or Decimal("0"), paye.get(dep) or Decimal("0")) for dep, total in emis.items()}


def enregistrer() -> None:
    enregistrer_tache(TITRES, TACHE_TITRES)
    enregistrer_montants(montants_par_departement)
