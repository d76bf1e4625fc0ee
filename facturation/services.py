"""Issuing, cancelling and collecting titres de perception. Each step is one checked, atomic function.

Numbering: a titre's number is taken from the counter row of its budget year, locked with SELECT ... FOR UPDATE
inside the issuing transaction. If that transaction fails, the counter rolls back with it: no gap. Two issuings of
the same year wait for each other; issuings of different years do not.

The PDF is rendered inside the issuing transaction, after the number is taken and before the row is written. It
holds the counter lock for the rendering time (about half a second per titre, issuings are serialised anyway), and
in exchange a titre never exists without its document: the row, its PDF and its SHA-256 are written together or
not at all, and the row never needs the UPDATE that immutability forbids (see migrations/0002_titre_immuable.py).
Issuing is idempotent per convention (a convention with a live titre is refused), so a task may retry it.
"""

import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal

import holidays
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from collectivites.destinataires import SansDestinataire, destinataires_ou_refus
from conventions.models import Convention
from conventions.notifications import NotificationImpossible
from conventions.tasks import raison_echec
from documents.formats import euros, euros_en_lettres
from documents.verification import nouveau_code

from .models import CompteurTitres, Paiement, ParametresFacturation, Relance, TitreDePerception
from .notifications import annoncer_titre

logger = logging.getLogger(__name__)


class FacturationImpossible(Exception):
    """A billing step that the data does not allow. The message is for users."""


class EmissionImpossible(FacturationImpossible):
    pass


class TitreDejaEmis(EmissionImpossible):
    """The convention already has its live titre: for a retried task, the work is done (`.titre` is that titre)."""

    def __init__(self, message: str, titre: TitreDePerception):
        super().__init__(message)
        self.titre = titre


class AnnulationImpossible(FacturationImpossible):
    pass


class PaiementRefuse(FacturationImpossible):
    pass


class RelanceImpossible(FacturationImpossible):
    pass


def _auteur(user):
    """The staff member to record, or None for a command or an anonymous request."""
    return user if user is not None and user.is_authenticated else None


def numero_titre(annee_budgetaire: int, sequence: int) -> str:
    return f"{annee_budgetaire}-{sequence:06d}"


def _prendre_numero(academie_id: int, annee_budgetaire: int) -> int:
    """The académie's next number of the year; the counter row stays locked until the caller's transaction ends."""
    # ON CONFLICT DO NOTHING: the first titre of a year creates the row without racing another first titre.
    cle = {"academie_id": academie_id, "annee_budgetaire": annee_budgetaire}
    CompteurTitres.objects.bulk_create([CompteurTitres(**cle)], ignore_conflicts=True)
    compteur = CompteurTitres.objects.select_for_update().get(**cle)
    compteur.dernier_numero += 1
    compteur.save(update_fields=["dernier_numero"])
    return compteur.dernier_numero


def _parametres(convention: Convention) -> ParametresFacturation:
    academie = convention.annee.academie
    try:
        return academie.parametres_facturation
    except ParametresFacturation.DoesNotExist:
        raise EmissionImpossible(
            f"Les paramètres de facturation de l'{academie.nom.lower()} (ordonnateur, comptable assignataire, IBAN, "
            "délai de paiement) ne sont pas renseignés : complétez-les dans l'administration avant d'émettre."
        ) from None


def _verifier_emission(convention: Convention) -> None:
    # First: for a retried task the work is done, whatever happened to the convention since.
    vivant = convention.titres.vivants().first()
    if vivant is not None:
        raise TitreDejaEmis(
            f"La convention {convention.reference} a déjà un titre de perception en cours (n° {vivant.numero}) : "
            "annulez-le avant d'en émettre un nouveau.",
            titre=vivant,
        )
    if convention.etat != Convention.Etat.SIGNEE:
        raise EmissionImpossible(
            f"La convention {convention.reference} n'est pas signée (état « {convention.get_etat_display()} ») : "
            "aucun titre de perception ne peut être émis."
        )
    collectivite = convention.collectivite
    if not collectivite.siren:
        raise EmissionImpossible(
            f"La collectivité « {collectivite.nom} » n'a pas de SIREN : il est obligatoire sur un titre de "
            "perception. Renseignez-le dans la fiche de la collectivité."
        )
    if convention.nb_ecoles == 0:
        raise EmissionImpossible(
            f"La convention {convention.reference} n'a aucune école inscrite : il n'y a rien à facturer."
        )
    if not convention.montants_figes:
        raise EmissionImpossible(
            f"La convention {convention.reference} n'a pas de participation figée à son envoi : remettez-la en "
            "brouillon puis envoyez-la de nouveau pour signature."
        )


def _copie_emetteur(parametres: ParametresFacturation) -> dict:
    academie = parametres.academie
    return {
        "emetteur_nom": academie.nom,
        "emetteur_adresse": academie.adresse,
        "emetteur_code_postal": academie.code_postal,
        "emetteur_ville": academie.ville,
        "lieu_emission": academie.ville_signature,
        "emetteur_siret": parametres.siret,
        "emetteur_logo": academie.logo.name if academie.logo else "",
        "ordonnateur_nom": parametres.ordonnateur_nom,
        "ordonnateur_titre": parametres.ordonnateur_titre,
        "comptable_nom": parametres.comptable_nom,
        "comptable_adresse": parametres.comptable_adresse,
        "titulaire_compte": parametres.titulaire_compte,
        "iban": parametres.iban,
        "bic": parametres.bic,
    }


def _copie_debiteur(convention: Convention) -> dict:
    collectivite = convention.collectivite
    return {
        "debiteur_nom": collectivite.nom,
        "debiteur_commune": convention.commune.nom if convention.commune_id else "",
        "debiteur_adresse": collectivite.adresse,
        "debiteur_code_postal": collectivite.code_postal,
        "debiteur_ville": collectivite.ville,
        "debiteur_departement": collectivite.departement,
        "debiteur_siren": collectivite.siren,
        "debiteur_siret": collectivite.siret,
        "debiteur_code_service_chorus": collectivite.code_service_chorus,
        "debiteur_numero_engagement": collectivite.numero_engagement,
    }


def _copie_liquidation(convention: Convention) -> dict:
    """The bases of liquidation: the convention, the schools of Annexe 1 and Article 7's rate and amount, as frozen
    in the PDF the collectivité signed (never the year's rate as it stands today)."""
    ecoles = [
        {"uai": uai, "nom": nom}
        for uai, nom in convention.inscriptions.order_by("ecole__uai").values_list("ecole__uai", "ecole__nom")
    ]
    annee = convention.annee
    montant = convention.participation
    return {
        "objet": f"Participation financière à l'ENT-école – année scolaire {annee.libelle}",
        "convention_reference": convention.reference,
        "convention_date_signature": convention.date_signature,
        "annee_scolaire": annee.libelle,
        "tarif_par_ecole": convention.tarif,
        "nb_ecoles": len(ecoles),
        "ecoles": ecoles,
        "montant": montant,
        "montant_en_lettres": euros_en_lettres(montant),
    }


def _joindre_pdf_et_enregistrer(titre: TitreDePerception) -> TitreDePerception:
    """Renders the document of a numbered, unsaved titre, stores it, then writes the row (one INSERT, never updated)."""
    from .pdf import pdf_titre  # the renderer is heavy to import; only issuing needs it

    # Kept only if the issue commits (documents.stockage), even when a caller's transaction rolls it back.
    titre.joindre_fichier(titre.nom_fichier, pdf_titre(titre))
    titre.save()
    return titre


def echeance(date_emission: datetime.date, delai_jours: int) -> datetime.date:
    """The due date: `delai_jours` after issue, moved to the next working day when it falls on a Saturday, a Sunday
    or a French public holiday, as a time limit is (article 642 of the code de procédure civile)."""
    jour = date_emission + datetime.timedelta(days=delai_jours)
    feries = holidays.France(years=(jour.year, jour.year + 1))
    while jour.weekday() >= 5 or jour in feries:
        jour += datetime.timedelta(days=1)
    return jour


@transaction.atomic
def emettre_titre(convention: Convention, user=None, date_emission: datetime.date | None = None) -> TitreDePerception:
    """Issues the titre of a signed convention: frozen copies, a gapless number of the budget year, the PDF."""
    # Locking the convention makes two concurrent issuings for it wait, then the second sees the first's titre.
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    _verifier_emission(convention)
    parametres = _parametres(convention)
    date_emission = date_emission or timezone.localdate()
    # The budget year (exercice) of the State is the calendar year of issue.
    annee_budgetaire = date_emission.year
    academie_id = convention.annee.academie_id
    sequence = _prendre_numero(academie_id, annee_budgetaire)
    titre = TitreDePerception(
        convention=convention,
        numero=numero_titre(annee_budgetaire, sequence),
        annee_budgetaire=annee_budgetaire,
        sequence=sequence,
        code_verification=nouveau_code(),
        date_emission=date_emission,
        date_echeance=echeance(date_emission, parametres.delai_paiement_jours),
        emis_par=_auteur(user),
        **_copie_emetteur(parametres),
        **_copie_debiteur(convention),
        **_copie_liquidation(convention),
    )
    return _joindre_pdf_et_enregistrer(titre)


# Everything a cancelling titre copies from the titre it cancels: it states the same debtor and bases.
CHAMPS_COPIES = [
    field.name
    for field in TitreDePerception._meta.concrete_fields
    if field.name.startswith(("emetteur_", "ordonnateur_", "debiteur_", "comptable_", "convention_"))
] + [
    "lieu_emission",
    "objet",
    "annee_scolaire",
    "tarif_par_ecole",
    "nb_ecoles",
    "ecoles",
    "titulaire_compte",
    "iban",
    "bic",
]


@transaction.atomic
def annuler_titre(
    titre: TitreDePerception, motif: str, user=None, date_emission: datetime.date | None = None
) -> TitreDePerception:
    """Issues the cancelling titre (negative amount, its own number); the convention may then get a new titre."""
    # Same lock order as emettre_titre (convention, then counter): no deadlock between the two. The titre's row
    # lock is the one enregistrer_paiement takes: a payment and a cancellation of one titre never both pass.
    Convention.objects.select_for_update().get(pk=titre.convention_id)
    TitreDePerception.objects.select_for_update(no_key=True).only("pk").get(pk=titre.pk)
    titre = TitreDePerception.objects.with_paiements().get(pk=titre.pk)
    if titre.est_annulation:
        raise AnnulationImpossible(f"Le titre n° {titre.numero} est lui-même un titre d'annulation.")
    if titre.est_annule:
        raise AnnulationImpossible(f"Le titre n° {titre.numero} est déjà annulé.")
    if not (motif or "").strip():
        raise AnnulationImpossible(f"Le motif de l'annulation du titre n° {titre.numero} est obligatoire.")
    if titre.montant_paye > 0:
        raise AnnulationImpossible(
            f"Le titre n° {titre.numero} a déjà reçu {euros(titre.montant_paye)} de paiements : il ne peut pas être "
            "annulé. Voyez le comptable pour un remboursement."
        )
    date_emission = date_emission or timezone.localdate()
    annee_budgetaire = date_emission.year
    sequence = _prendre_numero(titre.academie_id, annee_budgetaire)
    annulation = TitreDePerception(
        convention_id=titre.convention_id,
        numero=numero_titre(annee_budgetaire, sequence),
        annee_budgetaire=annee_budgetaire,
        sequence=sequence,
        annule=titre,
        motif_annulation=motif.strip(),
        code_verification=nouveau_code(),
        date_emission=date_emission,
        date_echeance=None,
        montant=-titre.montant,
        montant_en_lettres=euros_en_lettres(titre.montant),
        emis_par=_auteur(user),
        **{name: getattr(titre, name) for name in CHAMPS_COPIES},
    )
    return _joindre_pdf_et_enregistrer(annulation)


def verifier_paiement(titre: TitreDePerception, date: datetime.date, montant: Decimal, reference: str) -> None:
    """Raises PaiementRefuse with the reason when this payment cannot be recorded on the titre as it stands."""
    titre = TitreDePerception.objects.with_paiements().get(pk=titre.pk)
    montant = Decimal(montant)
    if titre.est_annulation:
        raise PaiementRefuse(f"Le titre n° {titre.numero} est un titre d'annulation : il ne se paie pas.")
    if titre.est_annule:
        raise PaiementRefuse(f"Le titre n° {titre.numero} est annulé : aucun paiement ne peut y être enregistré.")
    if montant <= 0:
        raise PaiementRefuse("Le montant du paiement doit être positif.")
    if montant != montant.quantize(Decimal("0.01")):
        raise PaiementRefuse(f"Le montant {montant} a plus de deux décimales.")
    if date > timezone.localdate():
        raise PaiementRefuse(f"La date du paiement ({date:%d/%m/%Y}) est dans le futur.")
    if date < titre.date_emission:
        raise PaiementRefuse(
            f"La date du paiement ({date:%d/%m/%Y}) précède l'émission du titre n° {titre.numero} "
            f"({titre.date_emission:%d/%m/%Y})."
        )
    if montant > titre.reste_a_payer:
        raise PaiementRefuse(
            f"Le paiement de {euros(montant)} dépasse le reste à payer du titre n° {titre.numero} "
            f"({euros(titre.reste_a_payer)} sur {euros(titre.montant)}) : il est refusé."
        )
    if not (reference or "").strip():
        raise PaiementRefuse("La référence du paiement (virement, n° de chèque…) est obligatoire.")


@transaction.atomic
def enregistrer_paiement(
    titre: TitreDePerception, date: datetime.date, montant: Decimal, moyen: str, reference: str, user=None
) -> Paiement:
    """Records money received; refuses what would pay more than is owed."""
    # The titre row lock serialises two payments of one titre, so both cannot pass the overpayment check.
    titre = TitreDePerception.objects.select_for_update(no_key=True).get(pk=titre.pk)
    verifier_paiement(titre, date, montant, reference)
    if moyen not in Paiement.Moyen.values:
        raise PaiementRefuse(f"Moyen de paiement inconnu « {moyen} ».")
    paiement = Paiement(
        titre=titre,
        date=date,
        montant=Decimal(montant),
        moyen=moyen,
        reference=reference.strip(),
        enregistre_par=_auteur(user),
    )
    paiement._change_reason = "Enregistrement"
    paiement.save()
    return paiement


def notifier_emission(titre: TitreDePerception) -> str:
    """annoncer_titre for the admin and the command: a warning for the user when the e-mail could not go (no
    address), the titre staying issued regardless."""
    try:
        notification = annoncer_titre(titre)
    except NotificationImpossible as exc:
        return f"Titre n° {titre.numero} émis, mais non annoncé par e-mail : {exc}"
    if notification is not None and notification.etat == notification.Etat.ECHEC:
        return f"Titre n° {titre.numero} émis, mais l'e-mail n'est pas parti : {notification.erreur}"
    return ""


@dataclass
class BilanEmission:
    """What a series of issuings did: the titres issued, the conventions refused with the reason, and the issued
    titres whose e-mail could not go (the titre stays issued)."""

    emis: list[TitreDePerception] = field(default_factory=list)
    refus: list[tuple[Convention, str]] = field(default_factory=list)
    avertissements: list[str] = field(default_factory=list)


def emettre_serie(conventions: QuerySet[Convention], user=None, notifier: bool = True) -> BilanEmission:
    """Issues the titre of each convention, by reference, and announces it to the collectivité unless `notifier` is
    False. Each titre is its own transaction: a refused convention (no SIREN...) does not stop the others."""
    bilan = BilanEmission()
    for convention in conventions.order_by("reference"):
        try:
            titre = emettre_titre(convention, user=user)
        except Exception as exc:
            # Whatever stops one titre (a refusal, or an error nobody foresaw) is reported, and the next ones go on.
            if isinstance(exc, FacturationImpossible):
                bilan.refus.append((convention, str(exc)))
            else:
                logger.exception("Émission du titre de la convention %s impossible", convention.reference)
                bilan.refus.append((convention, f"{convention.reference} : {raison_echec(exc)}"))
            continue
        bilan.emis.append(titre)
        if notifier and (avertissement := notifier_emission(titre)):
            bilan.avertissements.append(avertissement)
    return bilan


def _pdf_verifie(titre: TitreDePerception) -> tuple[str, str, bytes]:
    """The stored PDF, checked against its SHA-256 as every download is: an altered file is never mailed."""
    from .pdf import PdfTitreAltere, pdf_stocke  # the renderer is heavy to import; only a few paths need it

    try:
        return pdf_stocke(titre)
    except PdfTitreAltere as exc:
        raise RelanceImpossible(f"{exc} Aucune relance n'a été envoyée.") from exc


def envoyer_relance(titre: TitreDePerception, user=None, today: datetime.date | None = None) -> Relance:
    """E-mails the collectivité (collectivites.destinataires) a reminder with the titre attached; records it."""
    titre = (
        TitreDePerception.objects.with_paiements()
        .select_related("convention__collectivite", "convention__annee__academie")
        .get(pk=titre.pk)
    )
    if not titre.est_en_retard(today):
        raise RelanceImpossible(f"Le titre n° {titre.numero} n'est pas en retard de paiement : pas de relance.")
    collectivite = titre.convention.collectivite
    try:
        adresses = destinataires_ou_refus(collectivite)
    except SansDestinataire as exc:
        raise RelanceImpossible(f"Titre n° {titre.numero} : {exc}") from exc
    repondre_a = titre.convention.annee.academie.correspondant
    context = {
        "titre": titre,
        "reste_a_payer": euros(titre.reste_a_payer),
        "montant": euros(titre.montant),
        "correspondant": repondre_a,
        "academie": titre.convention.annee.academie,
    }
    message = EmailMessage(
        subject=render_to_string("facturation/emails/relance_objet.txt", context).strip(),
        body=render_to_string("facturation/emails/relance.txt", context),
        to=adresses,
        reply_to=repondre_a.reply_to,
    )
    filename, content_type, content = _pdf_verifie(titre)
    message.attach(filename, content, content_type)
    # Recorded only once the mail left: a failed send leaves no trace of a reminder that nobody received.
    message.send()
    return Relance.objects.create(
        titre=titre,
        destinataires=", ".join(adresses),
        reste_a_payer=titre.reste_a_payer,
        envoyee_par=_auteur(user),
    )
