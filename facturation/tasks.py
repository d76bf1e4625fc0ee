"""Issuing titres in bulk on the Celery workers: one task per signed convention of a batch (`conventions.Traitement`).

Idempotent: a convention that has a live titre gets no second one (the issuing service refuses it with TitreDejaEmis,
under the convention's row lock), and the "titre émis" e-mail is recorded once per titre.
"""

from celery import shared_task

from conventions.models import Convention, ElementTraitement
from conventions.notifications import NotificationImpossible
from conventions.tasks import TACHE_ELEMENT, compte_rendu_email, executer_element
from documents.formats import euros

from .notifications import annoncer_titre
from .services import FacturationImpossible, TitreDejaEmis, emettre_titre


def _emettre(element: ElementTraitement) -> str:
    # Locked until the item is recorded: a second worker on this convention waits, then finds the titre issued here
    # (the service refuses it with TitreDejaEmis) and its e-mail recorded.
    convention = Convention.objects.select_for_update(of=("self",)).get(pk=element.convention_id)
    try:
        titre = emettre_titre(convention, user=element.traitement.lance_par)
    except TitreDejaEmis as deja:
        titre = deja.titre
        fait = f"Titre n° {titre.numero} déjà émis"
    else:
        fait = f"Titre n° {titre.numero} émis ({euros(titre.montant)})"
    # The titre stands without its e-mail, as with « émettre maintenant »: the item says why none went.
    try:
        notification = annoncer_titre(titre)
    except NotificationImpossible as exc:
        return f"{fait} ; e-mail non envoyé : {exc}"
    return f"{fait} ; {compte_rendu_email(notification, 'e-mail')}."


@shared_task(**TACHE_ELEMENT)
def emettre_titre_element(element_id: int) -> None:
    executer_element(element_id, _emettre, erreurs_metier=(FacturationImpossible,))
