"""The convention workflow: each transition is one function here, checked, atomic and recorded in the history.

brouillon → envoyee (PDF frozen) → signee → resiliee; envoyee → brouillon discards the frozen PDF on purpose.
"""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from collectivites.models import Collectivite, Commune
from documents import stockage
from documents.formats import date_en_lettres
from documents.models import empreinte
from documents.pdf import champs_texte, remplir_champs
from documents.signatures import (
    CertificatInvalide,
    ControleExemplaire,
    ExemplaireRefuse,
    certificat_configure,
    controler_exemplaire,
    signer_pdf,
)

from .documents import DATE_SIGNATURE, DOCUMENT_RELATED, document_fige, load_for_documents
from .models import AnneeScolaire, Convention, Inscription, StatutExemplaire
from .texte import figer_pour_envoi


class TransitionInterdite(Exception):
    """A workflow step asked of a convention in a state that does not allow it. The message is for users."""


class StockageIndisponible(TransitionInterdite):
    """The storage refused the frozen PDF (full disk, read-only folder, unreachable bucket): nothing changed."""


def _require_etat(convention: Convention, *etats: str, action: str) -> None:
    if convention.etat not in etats:
        de = "d'" if action[:1] in "aeéèêiouy" else "de "
        raise TransitionInterdite(
            f"Impossible {de}{action} la convention {convention.reference} : elle est à l'état "
            f"« {convention.get_etat_display()} »."
        )


def _lock(convention: Convention) -> None:
    """Locks the convention's row alone and reads it again, with the rows its documents and e-mails read (one
    query). `of=self` matters: a plain FOR UPDATE would lock the joined rows too (the school year's among them),
    putting every worker of a campaign in line."""
    locked = Convention.objects.select_for_update(of=("self",)).select_related(*DOCUMENT_RELATED).order_by()
    convention.refresh_from_db(from_queryset=locked)


def _save(convention: Convention, reason: str, user=None, **fields) -> Convention:
    for name, value in fields.items():
        setattr(convention, name, value)
    convention._change_reason = reason
    if user is not None:
        convention._history_user = user
    convention.save()
    return convention


def reference_for(annee: AnneeScolaire, collectivite: Collectivite, commune: Commune | None) -> str:
    """Readable and unique by construction, since a collectivité has one convention per year (and commune); the
    académie's code first, since each académie numbers its own."""
    reference = f"ENT-{annee.academie.code}-{annee.libelle}-{collectivite.pk:04d}"
    return f"{reference}-{commune.code_insee}" if commune else reference


@transaction.atomic
def creer_convention(
    annee: AnneeScolaire, collectivite: Collectivite, commune: Commune | None = None, ecoles=(), user=None
) -> Convention:
    """A new draft convention, the representative copied from the collectivité as it stands today."""
    convention = Convention(
        annee=annee,
        collectivite=collectivite,
        commune=commune,
        reference=reference_for(annee, collectivite, commune),
        representant_civilite=collectivite.representant_civilite,
        representant_prenom=collectivite.representant_prenom,
        representant_nom=collectivite.representant_nom,
        representant_qualite=collectivite.representant_qualite,
    )
    convention.clean()  # the collectivité belongs to the campaign's académie
    _save(convention, "Création", user)
    if ecoles:
        choisir_ecoles(convention, ecoles, user=user)
    return convention


@transaction.atomic
def choisir_ecoles(convention: Convention, ecoles, user=None) -> Convention:
    """Sets Annexe 1 to exactly these schools. Only a draft can change; new schools must be open and public."""
    _require_etat(convention, Convention.Etat.BROUILLON, action="modifier les écoles de")
    wanted = {ecole.pk: ecole for ecole in ecoles}
    current = set(convention.inscriptions.values_list("ecole_id", flat=True))
    added = [wanted[pk] for pk in wanted.keys() - current]
    refused = [ecole for ecole in added if not ecole.est_inscriptible]
    if refused:
        raise TransitionInterdite(
            "Ces écoles ne peuvent pas être inscrites (fermée, à fermer ou privée) : "
            + ", ".join(str(e) for e in refused)
        )
    convention.inscriptions.filter(ecole_id__in=current - wanted.keys()).delete()
    for ecole in added:
        Inscription(convention=convention, ecole=ecole).save()
    return _save(convention, "Choix des écoles", user)


@transaction.atomic
def envoyer_pour_signature(convention: Convention, user=None, verrouillee: bool = False) -> Convention:
    """brouillon → envoyee: the PDF is rendered once and frozen (bytes and SHA-256); every later download returns
    exactly these bytes, whatever changes afterwards in the data or the template. `verrouillee`: the caller has
    locked and read the row as `_lock` does, in the transaction this call joins (a campaign item)."""
    # Locked so that two clicks (or two agents) cannot freeze two different PDFs.
    if not verrouillee:
        _lock(convention)
    _require_etat(convention, Convention.Etat.BROUILLON, action="envoyer pour signature")
    # Annexe 1 as the PDF will print it, read once for the check, the PDF and the e-mail that follows.
    if not load_for_documents(convention).inscriptions.all():
        raise TransitionInterdite(
            f"Impossible d'envoyer la convention {convention.reference} pour signature : aucune école n'est inscrite "
            "à l'annexe 1."
        )
    # The PDF prints its verification code and Article 7's figures, saved with the new state below.
    convention.attribuer_code()
    convention.figer_montants()
    # The campaign's text is frozen with its first PDF: every later convention of the campaign prints the same one.
    _filename, pdf, sha256 = document_fige(convention, figer_pour_envoi(convention.annee))
    # A random name (192 bits), as for the signed copies: it reveals nothing and cannot be guessed.
    # Kept only if this transaction commits (documents.stockage): no frozen file that no convention points to.
    _enregistrer_fichier(convention, convention.document, f"{secrets.token_urlsafe(24)}.pdf", pdf)
    return _save(
        convention,
        "Envoi pour signature",
        user,
        etat=Convention.Etat.ENVOYEE,
        document_sha256=sha256,
        date_envoi=timezone.now(),
    )


def _enregistrer_fichier(convention: Convention, fieldfile, filename: str, contenu: bytes) -> None:
    """Saves a document (kept only if the transaction commits: documents.stockage), or leaves no part of it behind:
    a full disk leaves a truncated file, which no row must ever point to and no one must take for the document."""
    storage = fieldfile.storage
    nom = fieldfile.field.generate_filename(convention, filename)
    existait = storage.exists(nom)
    try:
        stockage.ecrire(fieldfile, filename, contenu)
    except OSError as exc:
        if not existait and storage.exists(nom):
            storage.delete(nom)
        raise StockageIndisponible(
            f"Le PDF de la convention {convention.reference} n'a pas pu être enregistré ({exc.strerror or exc}) : "
            "la convention reste en brouillon. Vérifiez l'espace disque et les droits du stockage des fichiers, "
            "puis envoyez-la de nouveau."
        ) from exc


@transaction.atomic
def revenir_en_brouillon(convention: Convention, motif: str, user=None) -> Convention:
    """A recorded decision: the frozen PDF is discarded so that the convention can be corrected and sent again."""
    _require_etat(convention, Convention.Etat.ENVOYEE, action="remettre en brouillon")
    if not motif.strip():
        raise TransitionInterdite("Le motif du retour en brouillon est obligatoire.")
    # Deleted once the return to draft is committed: rolled back, the convention still has its frozen PDF.
    stockage.supprimer_apres_commit(convention.document)
    convention.defiger_montants()
    return _save(
        convention,
        f"Retour en brouillon : {motif}",
        user,
        etat=Convention.Etat.BROUILLON,
        document="",
        document_sha256="",
        date_envoi=None,
        # The withdrawn PDF's code no longer verifies anything; the next sending prints a new one.
        code_verification=None,
    )


@transaction.atomic
def enregistrer_signature(convention: Convention, date_signature, lieu_signature: str, user=None) -> Convention:
    """Both parties signed: the rectorat records the date and the place (the seed: "A Montpellier, le 13/09/2021"),
    and the académie signs electronically when a certificate is configured (see _contresigner)."""
    # Locked and read again: the copy to countersign is the one deposited last, not the one the caller saw.
    _lock(convention)
    _require_etat(convention, Convention.Etat.ENVOYEE, action="enregistrer la signature de")
    if date_signature > timezone.localdate():
        raise TransitionInterdite("La date de signature ne peut pas être dans le futur.")
    contresigne, signe_electroniquement = _contresigner(convention, date_signature, lieu_signature)
    if contresigne is not None:
        stockage.ecrire(convention.document_signe, f"{secrets.token_urlsafe(24)}.pdf", contresigne)
    return _save(
        convention,
        "Signature" + ("" if signe_electroniquement else " (sans signature électronique de l'académie)"),
        user,
        etat=Convention.Etat.SIGNEE,
        date_signature=date_signature,
        lieu_signature=lieu_signature,
        document_signe_sha256=empreinte(contresigne) if contresigne is not None else "",
    )


def _contresigner(convention: Convention, date_signature, lieu_signature: str) -> tuple[bytes | None, bool]:
    """The copy signed by both parties: the date of signature written in words on the line left for it ("A
    Montpellier, le treize septembre 2021", as the 2021-2022 convention), and the académie's electronic signature
    in the field "Signature academie" when a certificate is configured; both in one incremental update. Returns the
    bytes (None when no PDF was frozen) and whether the académie signed electronically.

    A copy signed electronically by the collectivité and found conform is completed, so that its signature stays
    valid in the same file (filling a form field is allowed after a signature). A scan has no electronic signature
    to keep: the frozen PDF that was sent is completed, and the scan stays beside it as the collectivité's
    handwritten signature.
    """
    if not convention.document:
        return None, False
    source = convention.document
    if convention.exemplaire_signe and convention.exemplaire_signe_statut == StatutExemplaire.SIGNE_CONFORME:
        source = convention.exemplaire_signe
    # A file object of its own: closing it leaves the convention's FieldFile as the caller had it (open or not).
    with source.storage.open(source.name, "rb") as stored:
        pdf = stored.read()
    # PDFs frozen before the date had its field print "le" alone: nothing to fill there.
    champs = {DATE_SIGNATURE.name: date_en_lettres(date_signature)} if DATE_SIGNATURE.name in champs_texte(pdf) else {}
    if not certificat_configure():
        return (remplir_champs(pdf, champs) if champs else None), False
    try:
        signe = signer_pdf(
            pdf,
            "Signature academie",
            reason=f"Signature de la convention {convention.reference} par l'académie",
            location=lieu_signature or convention.annee.academie.ville_signature,
            champs=champs,
        )
    except CertificatInvalide as exc:
        raise TransitionInterdite(f"Signature électronique impossible : {exc}") from exc
    return signe, True


@transaction.atomic
def resilier(convention: Convention, date_resiliation, motif: str, user=None) -> Convention:
    """Article 8: after a failed conciliation, a signed convention may be terminated; nothing is refunded."""
    _require_etat(convention, Convention.Etat.SIGNEE, action="résilier")
    if not motif.strip():
        raise TransitionInterdite("Le motif de la résiliation est obligatoire (article 8).")
    return _save(
        convention,
        f"Résiliation : {motif}",
        user,
        etat=Convention.Etat.RESILIEE,
        date_resiliation=date_resiliation,
        motif_resiliation=motif,
    )


@transaction.atomic
def choisir_ecoles_par_collectivite(convention: Convention, ecoles, user) -> Convention:
    """The collectivité's choice on the portal: only schools it may register, and not once the rectorat locked it."""
    # Locked so that the rectorat's lock and the collectivité's choice cannot cross.
    _lock(convention)
    _require_etat(convention, Convention.Etat.BROUILLON, action="modifier les écoles de")
    if convention.choix_ecoles_verrouille:
        raise TransitionInterdite(
            f"Le rectorat a verrouillé le choix des écoles de la convention {convention.reference} : contactez-le "
            "pour le modifier."
        )
    proposables = set(convention.ecoles_proposables().values_list("pk", flat=True))
    refused = [e for e in ecoles if e.pk not in proposables]
    if refused:
        raise TransitionInterdite(
            "Ces écoles ne peuvent pas être inscrites dans cette convention : " + ", ".join(str(e) for e in refused)
        )
    try:
        with transaction.atomic():
            return choisir_ecoles(convention, ecoles, user=user)
    except IntegrityError as exc:
        # Another convention of the year registered one of these schools since the page was shown.
        raise TransitionInterdite(
            "Une de ces écoles vient d'être inscrite dans une autre convention de l'année : rechargez la page et "
            "choisissez à nouveau."
        ) from exc


@transaction.atomic
def deposer_exemplaire_signe(convention: Convention, fichier, user=None) -> Convention:
    """The copy signed by the collectivité, stored under an unguessable name with its SHA-256.

    The file must already be checked to be a PDF (the portal's form does it). It is then checked against the PDF
    sent (documents/signatures.py): an electronically signed file must be that PDF with signatures added, intact,
    or it is refused (TransitionInterdite, with the reason); a scan is accepted and marked for the rectorat to check
    by eye. The rectorat then confirms the signature (`enregistrer_signature`). A second upload replaces the first;
    the first file is kept, and its name stays in the history.
    """
    _lock(convention)
    _require_etat(convention, Convention.Etat.ENVOYEE, action="déposer l'exemplaire signé de")
    contenu = b"".join(fichier.chunks())
    controle = _controler(convention, contenu)
    # The name is random (192 bits): it reveals neither the collectivité nor the convention and cannot be guessed.
    stockage.ecrire(convention.exemplaire_signe, f"{secrets.token_urlsafe(24)}.pdf", contenu)
    return _save(
        convention,
        "Dépôt de l'exemplaire signé",
        user,
        exemplaire_signe_sha256=empreinte(contenu),
        date_retour=timezone.now(),
        exemplaire_signe_statut=(
            StatutExemplaire.SIGNE_CONFORME if controle.signe_numeriquement else StatutExemplaire.SCAN_A_VERIFIER
        ),
        exemplaire_signe_signataire=controle.signataire,
        exemplaire_signe_signe_le=controle.date_signature,
    )


def _controler(convention: Convention, contenu: bytes):
    """The copy checked against the frozen PDF that was sent; refused with the reason when it is not that PDF."""
    if not convention.document:
        # Sent before PDFs were frozen: nothing to compare with, the rectorat checks the copy by eye.
        return ControleExemplaire(signe_numeriquement=False)
    with convention.document.open("rb") as stored:
        envoye = stored.read()
    try:
        return controler_exemplaire(contenu, envoye, convention.reference)
    except ExemplaireRefuse as exc:
        raise TransitionInterdite(str(exc)) from exc
