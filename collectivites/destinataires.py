"""Who the campaign writes to, one rule for every e-mail to a collectivité, and whom it answers to.

The representatives' portal accounts first (the people who sign and pay read the portal), else the collectivité's
contact address, else nobody: then the e-mail is refused before anything is sent, with a message saying what to fill
in. Every page that sends (or shows who will receive) an e-mail reads this module, so the follow-up page, the
confirmation pages and the e-mails themselves always agree.

The person or service a collectivité replies to belongs to the académie (conventions); conventions registers it here
in its ready() (a lower app never names a higher one).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Prefetch

from .models import Collectivite, User

# to_attr of the prefetch below: lists of conventions or titres then read the rule without a query per line.
REPRESENTANTS_ATTR = "representants_actifs"


class SansDestinataire(Exception):
    """The collectivité has neither a representative account nor a contact address. The message is for users."""


def prefetch_representants(prefix: str = "") -> Prefetch:
    """For `prefetch_related`: the representatives' active accounts, e.g. prefix="convention__collectivite__"."""
    comptes = User.objects.filter(role=User.Role.REPRESENTANT, is_active=True).order_by("email")
    return Prefetch(f"{prefix}comptes", queryset=comptes, to_attr=REPRESENTANTS_ATTR)


def destinataires(collectivite: Collectivite) -> list[str]:
    """The representatives' active accounts, else the contact address, else [] (each address once)."""
    comptes = getattr(collectivite, REPRESENTANTS_ATTR, None)
    if comptes is None:
        comptes = collectivite.comptes.filter(role=User.Role.REPRESENTANT, is_active=True).order_by("email")
    adresses = [compte.email for compte in comptes] or [collectivite.email]
    uniques = {}
    for adresse in adresses:
        if adresse and adresse.strip():
            uniques.setdefault(adresse.strip().lower(), adresse.strip())
    return list(uniques.values())


def motif_sans_destinataire(collectivite: Collectivite) -> str:
    return (
        f"La collectivité « {collectivite} » n'a ni compte de représentant actif sur l'espace des collectivités, ni "
        "adresse e-mail de contact : renseignez son e-mail de contact (ou invitez son représentant) pour lui écrire."
    )


def destinataires_ou_refus(collectivite: Collectivite) -> list[str]:
    """destinataires(), or SansDestinataire with what to fill in: nothing is sent to nobody."""
    adresses = destinataires(collectivite)
    if not adresses:
        raise SansDestinataire(motif_sans_destinataire(collectivite))
    return adresses


@dataclass(frozen=True)
class Correspondant:
    """The person or service named in every e-mail to answer it (Reply-To when there is an address)."""

    nom: str
    email: str = ""
    # Whose service it is, for the signature of e-mails written in this app: "académie de Montpellier".
    academie: str = ""

    def __str__(self):
        return f"{self.nom} ({self.email})" if self.email else self.nom

    @property
    def reply_to(self) -> list[str]:
        return [self.email] if self.email else []


CORRESPONDANT_PAR_DEFAUT = Correspondant("Le service ENT-école du rectorat")

_correspondant_de: Callable[[Collectivite], Correspondant | None] | None = None


def enregistrer_correspondant(fonction: Callable[[Collectivite], Correspondant | None]) -> None:
    """Called by conventions in ready(): the académie's correspondent for a collectivité."""
    global _correspondant_de
    _correspondant_de = fonction


def correspondant(collectivite: Collectivite) -> Correspondant:
    trouve = _correspondant_de(collectivite) if _correspondant_de else None
    return trouve or CORRESPONDANT_PAR_DEFAUT
