"""Issuing titres in bulk on the Celery workers: one task per signed convention of a batch (`conventions.Traitement`).

Idempotent: a convention that has a live titre gets no second one (the issuing service refuses it too, under the
convention's row lock), and the "titre émis" e-mail is recorded once per titre.
"""

from celery import shared_task

from conventions.formats import euros
from conventions.models import Convention, ElementTraitement
from conventions.notifications import notifier_titre_emis
from conventions.tasks import executer_element

from .models import TitreDePerception
from .services import FacturationError, emettre_titre


def _emettre(element: ElementTraitement) -> str:
    # The convention's row lock makes a concurrent issuing for it wait, then find the titre issued here.
    convention = Convention.objects.select_for_update(of=("self",)).get(pk=element.convention_id)
    titre = TitreDePerception.objects.filter(convention=convention).vivants().first()
    if titre is None:
        titre = emettre_titre(convention, user=element.traitement.lance_par)
        fait = f"Titre n° {titre.numero} émis ({euros(titre.montant)})"
    else:
        fait = f"Titre n° {titre.numero} déjà émis"
    notification = notifier_titre_emis(
        convention, numero=titre.numero, montant=titre.montant, date_echeance=titre.date_echeance
    )
    envoi = f"e-mail envoyé à {notification.destinataires}" if notification else "e-mail déjà envoyé"
    return f"{fait} ; {envoi}."


@shared_task
def emettre_titre_element(element_id: int) -> None:
    executer_element(element_id, _emettre, erreurs_metier=(FacturationError,))
