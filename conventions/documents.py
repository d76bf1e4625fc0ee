"""What the convention PDF says: every variable part of templates/pdf/convention.html, computed from the data.

Formatting rules (checked against the 2021-2022 convention, ../shared/seed/):
- full capitals drop their accents, as the seed writes "L'ACADEMIE", "LA COLLECTIVITE", "Sophie BEJEAN" and the
  communes of Annexe 1 ("MOUTHOUMET", "LEZIGNAN-CORBIERES"), see formats.majuscules;
- amounts in figures use formats.euros ("1 250 €", non-breaking spaces), whole euros without cents as the seed;
- Article 7 agrees in number with the schools registered, and its amount is computed, never typed.
"""

import datetime
from decimal import Decimal

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from collectivites.models import Adhesion, Commune
from documents.formats import date_en_lettres, date_longue, euros, majuscules, pluriel
from documents.logos import logo_data_uri
from documents.models import empreinte
from documents.pdf import CONTENT_TYPE, PdfDocument, SignatureField, TextField, render
from documents.registry import Empreinte, TypeDocument
from documents.verification import DocumentVerifie

from .models import AnneeScolaire, Convention, Inscription, StatutExemplaire
from .texte import contexte_texte, texte_de

# Ids of the two empty areas that receive the signature fields (see CONVENTION_SIGNATURES).
ZONE_COLLECTIVITE = "signature-collectivite"
ZONE_ACADEMIE = "signature-academie"
# Id of the blank after "A Montpellier, le" that receives the date of signature (see DATE_SIGNATURE).
CHAMP_DATE = "date-signature"


# The rows each document reads besides the convention's: joined (one row each), then prefetched (lists).
DOCUMENT_RELATED = ("annee__academie", "collectivite__commune", "commune")


def _document_prefetches() -> tuple[Prefetch, ...]:
    return (
        Prefetch("inscriptions", queryset=Inscription.objects.select_related("ecole__commune").order_by("ecole__uai")),
        Prefetch("collectivite__communes_membres", queryset=Commune.objects.order_by("nom")),
        Prefetch("collectivite__adhesions", queryset=Adhesion.objects.select_related("commune")),
    )


def conventions_for_documents(queryset=None):
    """Everything the template reads, in three queries whatever the number of conventions and schools."""
    queryset = Convention.objects.all() if queryset is None else queryset
    return queryset.select_related(*DOCUMENT_RELATED).prefetch_related(*_document_prefetches())


def load_for_documents(convention: Convention) -> Convention:
    """The same, fetched onto a convention already in hand (e.g. just locked): what is already there is not fetched
    again, so a convention read with DOCUMENT_RELATED costs two queries more."""
    if "inscriptions" not in getattr(convention, "_prefetched_objects_cache", {}):
        prefetch_related_objects([convention], *DOCUMENT_RELATED, *_document_prefetches())
    return convention


def _liste(noms: list[str]) -> str:
    """ "A", "A et B", "A, B et C"."""
    return noms[0] if len(noms) == 1 else ", ".join(noms[:-1]) + " et " + noms[-1]


def _membres(groupement, rentree) -> list[Commune]:
    """The members at the convention's rentrée when the composition is dated (as Convention.communes_couvertes),
    else today's; from the prefetched rows."""
    if adhesions := groupement.adhesions.all():
        return sorted((a.commune for a in adhesions if a.en_vigueur(rentree)), key=lambda commune: commune.nom)
    return list(groupement.communes_membres.all())


def communes_concernees(convention: Convention) -> tuple[str, str]:
    """The label and the text of the line under the collectivité's address.

    A commune, or one commune of a grouping that pays per commune (NB of the convention): "Commune : MOUTHOUMET".
    A grouping signing one convention for all its communes says so, and names them when they are known.
    """
    collectivite = convention.collectivite
    commune = convention.commune or (None if collectivite.est_groupement else collectivite.commune)
    if commune is not None:
        return "Commune", majuscules(commune.nom)
    if not collectivite.est_groupement:
        return "Commune", majuscules(collectivite.ville)
    membres = [majuscules(c.nom) for c in _membres(collectivite, convention.annee.rentree)]
    texte = "l'ensemble des communes membres du regroupement"
    if len(membres) == 1:
        return "Commune", f"{membres[0]}, seule commune membre du regroupement"
    return "Communes", f"{texte} ({_liste(membres)})" if membres else texte


def ligne_annexe(inscription: Inscription) -> str:
    """ "0110422Z - MOUTHOUMET / ECOLE PRIMAIRE PUBLIQUE /" followed by the school's own name, if it has one."""
    ecole = inscription.ecole
    return f"{ecole.uai} - {majuscules(ecole.commune.nom)} / {ecole.libelle_nature_secteur} / {ecole.patronyme}".strip()


def article_7(nb_ecoles: int) -> str:
    """ "1 école est inscrite", "3 écoles sont inscrites" (French takes the singular below 2, as pluriel())."""
    verbe = "est inscrite" if nb_ecoles < 2 else "sont inscrites"
    return f"{pluriel(nb_ecoles, 'école')} {verbe}"


def tarif_en_euros(value) -> str:
    """ "50 euros", as Article 5 writes the rate: the amount in figures, the currency in words."""
    return euros(value, decimals=False).replace("\u00a0€", "\u00a0euros")


def valeurs_champs(context: dict) -> dict:
    """The value of each placeholder of the text (conventions.texte.CHAMPS), from the document's context."""
    return {
        "annee": context["annee"],
        "academie": context["academie_designation"],
        "ville_rectorat": context["ville_rectorat"],
        "collectivite": context["collectivite_nom"],
        "commune": context["communes_texte"],
        "representant": context["representant"],
        "representant_qualite": context["representant_qualite"],
        "signataire": context["signataire"],
        "signataire_titre": context["signataire_titre"],
        "nb_ecoles": context["nb_ecoles"],
        "ecoles_inscrites": context["ecoles_inscrites"],
        "tarif": context["tarif"],
        "tarif_en_euros": context["tarif_en_euros"],
        "montant": context["montant"],
        "date_fin": context["date_fin"],
    }


def avec_texte(context: dict, texte) -> dict:
    """The context with the text's parts (title, NB, preamble, articles, annex heading), its placeholders filled."""
    version, articles = texte
    return {**context, **contexte_texte(version, articles, valeurs_champs(context))}


def convention_context(convention: Convention, texte=None) -> dict:
    """`texte` is a (version, articles) pair; by default the one the convention's campaign prints (texte_de)."""
    return avec_texte(_donnees(convention), texte or texte_de(convention.annee))


def _donnees(convention: Convention) -> dict:
    annee = convention.annee
    academie = annee.academie
    collectivite = convention.collectivite
    lignes = [ligne_annexe(inscription) for inscription in convention.inscriptions.all()]
    nb_ecoles = len(lignes)
    communes_libelle, communes_texte = communes_concernees(convention)
    return {
        "annee": annee.libelle,
        "academie_entete": "L'" + majuscules(academie.nom),
        "academie_adresse": academie.adresse_complete,
        # "académie de Montpellier", as Articles 6 and 8 name it after "Rectorat de l'".
        "academie_designation": academie.designation,
        "logo": logo_data_uri(academie.logo.name),
        "logo_alt": f"Logo de l'{academie.designation}",
        "ville_rectorat": academie.ville_signature,
        "signataire": annee.signataire,
        "signataire_titre": annee.signataire_titre.rstrip(". "),
        "signataire_signature": f"{annee.signataire_prenom} {majuscules(annee.signataire_nom)}",
        "collectivite_nom": collectivite.nom,
        "collectivite_adresse": collectivite.adresse_complete,
        "communes_libelle": communes_libelle,
        "communes_texte": communes_texte,
        # "Monsieur André HERNANDEZ": the family name in capitals without accents, like the signatory's.
        "representant": (
            f"{convention.representant_civilite} {convention.representant_prenom} "
            f"{majuscules(convention.representant_nom)}"
        ),
        "representant_qualite": convention.representant_qualite,
        "date_fin": date_longue(annee.date_fin, zero_pad=True),
        # The figures frozen when the PDF is (Convention.participation): the draft preview shows today's rate.
        "tarif": euros(convention.tarif, decimals=False),
        "tarif_en_euros": tarif_en_euros(convention.tarif),
        "ecoles_inscrites": article_7(nb_ecoles),
        "nb_ecoles": pluriel(nb_ecoles, "école"),
        "montant": euros(convention.participation, decimals=False),
        "lieu_signature": convention.lieu_signature or academie.ville_signature,
        "date_signature": date_en_lettres(convention.date_signature) if convention.date_signature else "",
        "ecoles": lignes,
        "zone_collectivite": ZONE_COLLECTIVITE,
        "zone_academie": ZONE_ACADEMIE,
        "champ_date": CHAMP_DATE,
    }


# --- The convention as a PDF ---

CONVENTION_SIGNATURES = (
    SignatureField("Signature collectivite", ZONE_COLLECTIVITE, "Signature de la collectivité"),
    SignatureField("Signature academie", ZONE_ACADEMIE, "Signature de l'académie"),
)
# Filled with the date of signature in words when the rectorat records it ("treize septembre 2021").
DATE_SIGNATURE = TextField("Date de signature", CHAMP_DATE, "Date de signature de la convention")


def convention_document(convention, projet: bool = False, texte=None) -> PdfDocument:
    # The verification code and its QR code, once the convention is sent (a draft has none).
    context = {**convention_context(convention, texte), **convention.contexte_verification()}
    return PdfDocument(
        template_name="pdf/convention.html",
        context=context,
        filename=f"{convention.reference}.pdf",
        title=f"Convention ENT-école {context['annee']} – {context['collectivite_nom']}",
        subject=(
            "Convention de partenariat pour la mise à disposition d'un environnement numérique de travail "
            f"(ENT-école), année scolaire {context['annee']}, référence {convention.reference}"
        ),
        author=convention.annee.academie.nom,
        footer_reference=f"Convention {convention.reference}",
        filigrane="PROJET" if projet else "",
        signature_fields=CONVENTION_SIGNATURES,
        # A convention already dated (signed before PDFs were frozen) prints its date; the others get a line to fill.
        text_fields=() if convention.date_signature else (DATE_SIGNATURE,),
        stylesheets=("convention.css",),
        keywords=("ENT-école", "convention", context["annee"]),
    )


def convention_pdf(convention) -> tuple[str, str, bytes]:
    """What anyone downloading the convention gets: the copy signed by both parties, else the frozen bytes once it
    was sent, else a "PROJET" preview."""
    fichier = convention.document_signe or convention.document
    if fichier:
        with fichier.open("rb") as stored:
            return f"{convention.reference}.pdf", CONTENT_TYPE, stored.read()
    convention = load_for_documents(convention)
    return render(convention_document(convention, projet=convention.est_modifiable))


def document_fige(convention, texte=None) -> tuple[str, bytes, str]:
    """The final PDF sent for signature (no "PROJET"): its file name, its bytes and their SHA-256. `texte` is the
    campaign's version, frozen by the sending (conventions.texte.figer_pour_envoi)."""
    filename, _content_type, pdf = render(convention_document(load_for_documents(convention), texte=texte))
    return filename, pdf, empreinte(pdf)


# --- The preview of a version of the text, in the admin ---


def _donnees_exemple(version) -> dict:
    """A convention that does not exist, for a version whose campaign has none yet: a commune with three schools,
    the figures of the version's campaign (or of the académie's latest one)."""
    academie = version.academie
    annee = version.annee or AnneeScolaire.objects.filter(academie=academie).order_by("-libelle").first()
    libelle = annee.libelle if annee else f"{timezone.localdate().year}-{timezone.localdate().year + 1}"
    tarif = annee.tarif_par_ecole if annee else Decimal("50.00")
    fin = annee.date_fin if annee else datetime.date(int(libelle[5:]), 9, 1)
    lignes = [f"00000{n}X - COMMUNE EXEMPLE / ECOLE PRIMAIRE PUBLIQUE / ECOLE EXEMPLE {n}" for n in (1, 2, 3)]
    return {
        "annee": libelle,
        "academie_entete": "L'" + majuscules(academie.nom),
        "academie_adresse": academie.adresse_complete,
        "academie_designation": academie.designation,
        "logo": logo_data_uri(academie.logo.name),
        "logo_alt": f"Logo de l'{academie.designation}",
        "ville_rectorat": academie.ville_signature,
        "signataire": annee.signataire if annee else "Prénom Nom",
        "signataire_titre": annee.signataire_titre.rstrip(". ") if annee else "Titre du signataire",
        "signataire_signature": f"{annee.signataire_prenom} {majuscules(annee.signataire_nom)}" if annee else "",
        "collectivite_nom": "Commune exemple",
        "collectivite_adresse": "1 place de la Mairie 00000 Commune-Exemple",
        "communes_libelle": "Commune",
        "communes_texte": "COMMUNE-EXEMPLE",
        "representant": "Madame Prénom NOM",
        "representant_qualite": "Maire",
        "date_fin": date_longue(fin, zero_pad=True),
        "tarif": euros(tarif, decimals=False),
        "tarif_en_euros": tarif_en_euros(tarif),
        "ecoles_inscrites": article_7(len(lignes)),
        "nb_ecoles": pluriel(len(lignes), "école"),
        "montant": euros(tarif * len(lignes), decimals=False),
        "lieu_signature": academie.ville_signature,
        "date_signature": "",
        "ecoles": lignes,
        "zone_collectivite": ZONE_COLLECTIVITE,
        "zone_academie": ZONE_ACADEMIE,
        "champ_date": CHAMP_DATE,
    }


def apercu_texte(version) -> tuple[str, str, bytes]:
    """The PDF a version prints, marked "PROJET": on the first convention of its campaign when there is one, else
    on an example. Never stored, never frozen: the sent conventions keep their own PDF."""
    texte = (version, list(version.articles.all()))
    premiere = None
    if version.annee_id:
        premiere = conventions_for_documents(Convention.objects.filter(annee=version.annee_id)).order_by("reference")
        premiere = premiere.first()
    if premiere is not None:
        filename, content_type, pdf = render(convention_document(premiere, projet=True, texte=texte))
    else:
        context = avec_texte(_donnees_exemple(version), texte)
        filename, content_type, pdf = render(
            PdfDocument(
                template_name="pdf/convention.html",
                context=context,
                filename="apercu.pdf",
                title=f"Convention ENT-école {context['annee']} – aperçu du texte",
                subject="Aperçu du texte de la convention ENT-école sur une convention d'exemple",
                author=version.academie.nom,
                footer_reference="Aperçu",
                filigrane="PROJET",
                signature_fields=CONVENTION_SIGNATURES,
                text_fields=(DATE_SIGNATURE,),
                stylesheets=("convention.css",),
                keywords=("ENT-école", "convention", context["annee"]),
            )
        )
    return f"apercu-texte-v{version.version}-{filename}", content_type, pdf


# --- The convention as a document type (documents.registry), registered in ConventionsConfig.ready() ---


NATURE_CONVENTION = "Convention de partenariat ENT-école"


def _etat_convention(convention) -> str:
    if convention.est_expiree:
        return "Signée, arrivée à son terme"
    return convention.get_etat_display()


def _convention_verifiee(convention, version: str = "") -> DocumentVerifie:
    """What /verifier/ may say about a convention: nothing about amounts, schools or people."""
    return DocumentVerifie(
        nature=f"{NATURE_CONVENTION} – année scolaire {convention.annee.libelle}",
        reference=convention.reference,
        emis_le=convention.emis_le_jour,
        etat=_etat_convention(convention),
        version=version,
        emetteur=convention.annee.academie.nom,
    )


def _conventions():
    # A convention back in draft has no code and its PDF was withdrawn: it is no longer an issued document.
    return Convention.objects.exclude(etat=Convention.Etat.BROUILLON).select_related("annee__academie")


def _document(convention) -> PdfDocument:
    """The document as it stands: « PROJET » while a draft, else the final one (as frozen when it was sent)."""
    convention = load_for_documents(convention)
    return convention_document(convention, projet=convention.est_modifiable)


CONVENTION = TypeDocument(
    code="convention",
    libelle=NATURE_CONVENTION,
    gabarit="pdf/convention.html",
    construire_contexte=convention_context,
    nom_fichier=lambda convention: f"{convention.reference}.pdf",
    # Signature fields, the date field and its own stylesheet: the convention builds its whole PdfDocument.
    construire=_document,
    modele=Convention,
    decrire=_convention_verifiee,
    emis=_conventions,
    # Three files are the convention: the countersigned one, the one sent, and the collectivité's copy when its
    # electronic signature was found conform (a scan is not the document: the rectorat only looked at it).
    empreintes=(
        Empreinte("document_signe_sha256", "exemplaire signé par les deux parties"),
        Empreinte("document_sha256", "exemplaire envoyé pour signature"),
        Empreinte(
            "exemplaire_signe_sha256",
            "exemplaire signé électroniquement par la collectivité",
            {"exemplaire_signe_statut": StatutExemplaire.SIGNE_CONFORME},
        ),
    ),
)
