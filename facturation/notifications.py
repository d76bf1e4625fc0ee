"""The « titre émis » e-mail to the collectivité, sent and recorded by conventions' notifications."""

import datetime
from decimal import Decimal

from conventions.models import Convention, Notification
from conventions.notifications import lien_portail, notifier
from documents.formats import date_longue, euros

from .models import TitreDePerception

TITRE_EMIS = "titre_emis"
LIBELLE_TITRE_EMIS = "Titre de perception émis"


def notifier_titre_emis(
    convention: Convention,
    *,
    numero: str,
    montant: Decimal,
    date_echeance: datetime.date | None = None,
    lien: str | None = None,
) -> Notification | None:
    """The titre de perception issued for the convention: once per titre number. `lien`, the page that shows the
    titre, replaces the convention's portal page as the e-mail's link."""
    extra = {"lien": lien} if lien else {}
    return notifier(
        convention,
        TITRE_EMIS,
        str(numero),
        "facturation/emails/titre_emis",
        numero_titre=numero,
        montant_titre=euros(montant),
        date_echeance=date_longue(date_echeance) if date_echeance else "",
        **extra,
    )


def lien_titre(titre: TitreDePerception) -> str:
    """The titre on its convention's portal page, with its payments and how to pay: the « titre émis » e-mail leads
    there."""
    return f"{lien_portail(titre.convention)}#titre-{titre.numero}"


def annoncer_titre(titre: TitreDePerception) -> Notification | None:
    """The e-mail once per titre: the recorded Notification, or None when it had been sent already."""
    return notifier_titre_emis(
        titre.convention,
        numero=titre.numero,
        montant=titre.montant,
        date_echeance=titre.date_echeance,
        lien=lien_titre(titre),
    )
