"""The yearly campaign: starting batches of background work, retrying their failures, and following the year.

A batch (`Traitement`) lists its conventions as items, then one Celery task per item is queued once the batch is
committed (a worker must find it). Without a broker the tasks run right here, one after the other.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone

from collectivites.destinataires import prefetch_representants
from ecoles.models import Ecole
from jobs import runner

from .annees import conventions_a_reconduire, creer_annee
from .models import AnneeScolaire, Convention, ElementTraitement, Inscription, Notification, Traitement

logger = logging.getLogger(__name__)


class FileIndisponible(Exception):
    """The task queue (Redis) does not answer: the action is refused before it changes anything."""

    def __init__(self):
        super().__init__(
            "La file des tâches de fond (Redis) ne répond pas : rien n'a été lancé. Les pages restent utilisables ; "
            "réessayez dans quelques minutes, et prévenez l'exploitation si cela dure."
        )


def exiger_file() -> None:
    if not runner.file_disponible():
        raise FileIndisponible


# The task run for each item of a batch, by import path. An app above conventions adds its own kind of batch from its
# AppConfig.ready() with `enregistrer_tache` (the titres de perception, by facturation).
TACHES = {
    Traitement.Type.PREPARATION: "conventions.tasks.preparer_convention",
    Traitement.Type.ENVOI: "conventions.tasks.envoyer_convention",
    Traitement.Type.RELANCE: "conventions.tasks.relancer_convention",
}


def enregistrer_tache(type_: str, tache: str) -> None:
    TACHES[type_] = tache


def mettre_en_file(traitement: Traitement, element_ids=None) -> int:
    """Queues one task per item still to do (or per given item). Queuing an item twice is harmless."""
    if element_ids is None:
        element_ids = traitement.elements.filter(etat=ElementTraitement.Etat.A_FAIRE).values_list("pk", flat=True)
    return runner.mettre_en_file(traitement.tache, element_ids)


@transaction.atomic
def lancer_traitement(type_: str, annee: AnneeScolaire, conventions, user=None) -> Traitement:
    """A batch over `conventions` (a queryset), queued after commit; refused while the queue does not answer."""
    exiger_file()
    traitement = Traitement.objects.create(type=type_, annee=annee, tache=TACHES[type_], lance_par=user)
    ids = conventions.order_by().values_list("pk", flat=True).distinct()
    ElementTraitement.objects.bulk_create(
        [ElementTraitement(traitement=traitement, convention_id=pk) for pk in sorted(ids)], batch_size=1000
    )
    if not traitement.elements.exists():
        traitement.termine_le = timezone.now()
        traitement.save(update_fields=["termine_le"])
    transaction.on_commit(lambda: mettre_en_file(traitement))
    return traitement


def reprendre_en_attente(age: datetime.timedelta = datetime.timedelta(minutes=2)) -> int:
    """Items of unfinished batches still to do, called when the queue is empty: their message was lost (a broker
    restarted without its data, a publication that failed); they are queued again. Returns how many."""
    limite = timezone.now() - age
    nombre = 0
    for traitement in Traitement.objects.filter(termine_le__isnull=True):
        ids = traitement.elements.filter(etat=ElementTraitement.Etat.A_FAIRE, maj_le__lt=limite)
        nombre += mettre_en_file(traitement, ids.values_list("pk", flat=True))
    return nombre


def lancer_preparation(libelle: str, precedente: AnneeScolaire, user=None, **valeurs) -> Traitement:
    """The admin's « préparer l'année »: the year now, its conventions in the background."""
    with transaction.atomic():
        annee, _ = creer_annee(libelle, precedente, **valeurs)
        return lancer_traitement(Traitement.Type.PREPARATION, annee, conventions_a_reconduire(precedente), user)


def lancer_par_annee(type_: str, conventions, user=None) -> list[Traitement]:
    """One batch of `type_` per school year of `conventions`."""
    annees = AnneeScolaire.objects.filter(pk__in=conventions.values("annee")).order_by("libelle")
    return [lancer_traitement(type_, annee, conventions.filter(annee=annee), user) for annee in annees]


def lancer_envoi(conventions, user=None) -> list[Traitement]:
    """« Envoyer pour signature en arrière-plan »: drafts are rendered and sent; for conventions already sent, only
    a missing e-mail goes. One batch per school year of the selection."""
    a_envoyer = conventions.filter(etat__in=[Convention.Etat.BROUILLON, Convention.Etat.ENVOYEE])
    return lancer_par_annee(Traitement.Type.ENVOI, a_envoyer, user)


def conventions_a_relancer(annee: AnneeScolaire | None = None, now: datetime.datetime | None = None):
    """Sent for signature more than RELANCE_RETOUR_JOURS days ago, no signed copy back, not reminded yet."""
    limite = (now or timezone.now()) - datetime.timedelta(days=settings.RELANCE_RETOUR_JOURS)
    deja = Notification.objects.filter(
        convention=OuterRef("pk"), type=Notification.Type.RELANCE_RETOUR, cle=OuterRef("document_sha256")
    )
    conventions = Convention.objects.envoyees().filter(date_envoi__lte=limite, exemplaire_signe="")
    if annee is not None:
        conventions = conventions.for_annee(annee)
    return conventions.exclude(Exists(deja))


def lancer_relances(annee: AnneeScolaire | None = None, user=None) -> list[Traitement]:
    return lancer_par_annee(Traitement.Type.RELANCE, conventions_a_relancer(annee), user)


@transaction.atomic
def reessayer(traitement: Traitement, element_ids=None) -> int:
    """Puts failed items (all, or the given ones) back in the queue; also requeues items still waiting, in case
    their message was lost with a broker. Returns how many items were queued."""
    exiger_file()
    echecs = traitement.elements.filter(etat=ElementTraitement.Etat.ECHEC)
    attente = traitement.elements.filter(etat=ElementTraitement.Etat.A_FAIRE)
    if element_ids is not None:
        echecs, attente = echecs.filter(pk__in=element_ids), attente.filter(pk__in=element_ids)
    ids = sorted(set(echecs.values_list("pk", flat=True)) | set(attente.values_list("pk", flat=True)))
    if not ids:
        return 0
    echecs.update(etat=ElementTraitement.Etat.A_FAIRE)
    Traitement.objects.filter(pk=traitement.pk).update(termine_le=None)
    transaction.on_commit(lambda: mettre_en_file(traitement, ids))
    return len(ids)


# --- Follow-up of a year (the admin's « suivi de campagne ») ---

ETATS = [etat for etat, _ in Convention.Etat.choices]


# What was billed and paid for a year's conventions per département: {"11": {"net", "paye", "reste"}}. The billing
# app registers the function that computes it (in its ready()): conventions names no titre, no payment.
_montants_enregistres: list[Callable[[AnneeScolaire], dict[str, dict]]] = []


def enregistrer_montants(fonction: Callable[[AnneeScolaire], dict[str, dict]]) -> None:
    _montants_enregistres[:] = [fonction]


def _montants_par_departement(annee: AnneeScolaire) -> dict[str, dict]:
    return _montants_enregistres[0](annee) if _montants_enregistres else {}


def tableau_de_bord(annee: AnneeScolaire) -> dict:
    """Per département: conventions per state, schools covered out of the open public schools, amounts.

    A handful of grouped queries, whatever the number of conventions. The amounts are the billing app's, through
    the function it registered (enregistrer_montants).
    """
    conventions = Convention.objects.for_annee(annee)
    lignes = defaultdict(_ligne_vide)

    for dep, etat, n in conventions.values_list("collectivite__departement", "etat").annotate(n=Count("pk")):
        lignes[dep]["etats"][etat] = n
    # Among the sent ones, those whose signed copy came back (« déposées, en vérification »).
    for dep, n in conventions.deposees().values_list("collectivite__departement").annotate(n=Count("pk")):
        lignes[dep]["deposees"] = n
    ecoles = Ecole.objects.inscriptibles().filter(academie=annee.academie.code)
    for dep, n in ecoles.values_list("commune__departement").annotate(n=Count("pk")):
        lignes[dep]["ecoles_ouvertes"] = n
    inscrites = Inscription.objects.filter(annee=annee, ecole__in=Ecole.objects.inscriptibles()).exclude(
        convention__etat=Convention.Etat.RESILIEE
    )
    for dep, n in inscrites.values_list("ecole__commune__departement").annotate(n=Count("pk")):
        lignes[dep]["ecoles_inscrites"] = n
    signees = inscrites.filter(convention__etat=Convention.Etat.SIGNEE)
    for dep, n in signees.values_list("ecole__commune__departement").annotate(n=Count("pk")):
        lignes[dep]["ecoles_couvertes"] = n
    for dep, montants in _montants_par_departement(annee).items():
        lignes[dep].update(
            emis=montants["net"], paye=montants["paye"], reste=montants["reste"], en_retard=montants["en_retard"]
        )

    rows = [_finir(dep, ligne) for dep, ligne in sorted(lignes.items())]
    total = _ligne_vide()
    for row in rows:
        for etat in ETATS:
            total["etats"][etat] += row["etats"][etat]
        for key in CUMULS:
            total[key] += row[key]
    return {"annee": annee, "departements": rows, "total": _finir("Total", total), "etats": Convention.Etat.choices}


CUMULS = ("deposees", "ecoles_ouvertes", "ecoles_inscrites", "ecoles_couvertes", "emis", "paye", "reste", "en_retard")


def _ligne_vide() -> dict:
    return {
        "etats": dict.fromkeys(ETATS, 0),
        "deposees": 0,
        "ecoles_ouvertes": 0,
        "ecoles_inscrites": 0,
        "ecoles_couvertes": 0,
        "emis": Decimal("0"),
        "paye": Decimal("0"),
        "reste": Decimal("0"),
        "en_retard": Decimal("0"),
    }


def _finir(dep: str, ligne: dict) -> dict:
    ligne = dict(ligne, departement=dep)
    ligne["nb_conventions"] = sum(ligne["etats"].values())
    ligne["etats_liste"] = [ligne["etats"][etat] for etat in ETATS]
    # The campaign's four steps as people count them: a deposited convention is returned, no longer only sent.
    ligne["etapes"] = {
        "brouillon": ligne["etats"][Convention.Etat.BROUILLON],
        "envoyee": ligne["etats"][Convention.Etat.ENVOYEE] - ligne["deposees"],
        "deposee": ligne["deposees"],
        "signee": ligne["etats"][Convention.Etat.SIGNEE],
    }
    ouvertes = ligne["ecoles_ouvertes"]
    ligne["taux_couverture"] = round(100 * ligne["ecoles_couvertes"] / ouvertes) if ouvertes else None
    return ligne


def conventions_non_retournees(annee: AnneeScolaire, departement: str | None = None):
    """Sent for signature and not come back signed: whom to chase, the oldest first."""
    derniere_relance = Notification.objects.filter(
        convention=OuterRef("pk"), type=Notification.Type.RELANCE_RETOUR
    ).order_by("-envoyee_le")
    conventions = (
        Convention.objects.for_annee(annee)
        .envoyees()
        .filter(exemplaire_signe="")
        .select_related("collectivite", "commune")
        .prefetch_related(prefetch_representants("collectivite__"))
        .annotate(derniere_relance=Subquery(derniere_relance.values("envoyee_le")[:1]))
        .order_by("date_envoi", "reference")
    )
    if departement:
        conventions = conventions.filter(collectivite__departement=departement)
    return conventions
