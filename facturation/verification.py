"""What the public verification page (/verifier/) may say about a titre de perception: see documents.verification."""

from documents.verification import DocumentVerifie, Source, enregistrer_source

from .models import TitreDePerception


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


def titre_par_code(code: str) -> DocumentVerifie | None:
    titre = _titres().filter(code_verification=code).first()
    return _titre_verifie(titre) if titre else None


def titre_par_empreinte(empreinte: str) -> DocumentVerifie | None:
    titre = _titres().filter(pdf_sha256=empreinte).first()
    return _titre_verifie(titre, "titre tel qu'il a été émis") if titre else None


def enregistrer() -> None:
    enregistrer_source(Source(par_code=titre_par_code, par_empreinte=titre_par_empreinte))
