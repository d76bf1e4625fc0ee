"""What facturation adds to conventions' yearly campaign (registered in FacturationConfig.ready()): the batch that
issues the titres de perception, and the amounts billed and paid in the follow-up of a year (facturation.syntheses)."""

from conventions.campagne import enregistrer_montants, enregistrer_tache, lancer_par_annee
from conventions.models import Convention, Traitement

from .syntheses import montants_campagne

TITRES = "titres"
LIBELLE_TITRES = "Émission des titres de perception"
TACHE_TITRES = "facturation.tasks.emettre_titre_element"


def lancer_emission(conventions, user=None) -> list[Traitement]:
    """Titres de perception in bulk for the signed conventions of the selection (a convention that already has its
    titre gets no second one)."""
    return lancer_par_annee(TITRES, conventions.filter(etat=Convention.Etat.SIGNEE), user)


def enregistrer() -> None:
    enregistrer_tache(TITRES, TACHE_TITRES)
    enregistrer_montants(montants_campagne)
