"""The titre de perception as a document type (documents.registry): how it is rendered, and what the public
verification page (/verifier/) may say about it. Registered from FacturationConfig.ready()."""

from documents.registry import Empreinte, TypeDocument, enregistrer_type
from documents.verification import DocumentVerifie

from .models import TitreDePerception

VERSION_EMISE = "titre tel qu'il a été émis"


def _titre_verifie(titre: TitreDePerception, version: str = "") -> DocumentVerifie:
    if titre.est_annulation:
        return DocumentVerifie(
            nature="Titre d'annulation",
            reference=titre.numero,
            emis_le=titre.date_emission,
            etat=f"Émis, annule le titre de perception n° {titre.annule.numero}",
            version=version,
            emetteur=titre.emetteur_nom,
        )
    return DocumentVerifie(
        nature="Titre de perception",
        reference=titre.numero,
        emis_le=titre.date_emission,
        etat=titre.etat_libelle,
        version=version,
        emetteur=titre.emetteur_nom,
    )


def _titres():
    return (
        TitreDePerception.objects.with_paiements()
        .select_related("annule")
        .only("numero", "date_emission", "montant", "emetteur_nom", "annule__numero")
    )


# The renderer is heavy to import: facturation.pdf is imported when a titre is rendered, not at start-up.
def _document(titre: TitreDePerception):
    from .pdf import titre_document

    return titre_document(titre)


def _contexte(titre: TitreDePerception) -> dict:
    from .pdf import titre_context

    return titre_context(titre)


TITRE = TypeDocument(
    code="titre",
    libelle="Titre de perception",
    gabarit="pdf/titre.html",
    construire_contexte=_contexte,
    nom_fichier=lambda titre: titre.nom_fichier,
    # Signature field, embedded Factur-X XML and its XMP: the titre builds its whole PdfDocument.
    construire=_document,
    modele=TitreDePerception,
    decrire=_titre_verifie,
    emis=_titres,
    empreintes=(Empreinte("pdf_sha256", VERSION_EMISE),),
)


def enregistrer() -> None:
    enregistrer_type(TITRE)
