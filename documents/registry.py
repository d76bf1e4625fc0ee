"""The registry of document types: what each issued document is, how it is rendered, how /verifier/ finds it.

documents knows no domain app: each app registers its types from its AppConfig.ready(), as pretix's plugins
register their invoice renderers. A new document type is one template (extending pdf/base.html), one context
builder and one registration:

    enregistrer_type(
        TypeDocument(
            code="attestation",
            libelle="Attestation d'inscription",
            gabarit="pdf/attestation.html",
            construire_contexte=contexte_attestation,
            nom_fichier=lambda attestation: f"attestation-{attestation.numero}.pdf",
            modele=Attestation,  # a DocumentEmis: /verifier/ finds it by its code and its file's SHA-256
            decrire=attestation_verifiee,  # what /verifier/ may say about one (a DocumentVerifie)
        )
    )

then `rendre("attestation", attestation)`. A type whose PDF needs more than a template and a context (signature
fields, an embedded file, its own stylesheet) gives `construire`, which returns the whole `PdfDocument`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .models import DocumentEmis, empreinte
from .verification import DocumentVerifie, Source, contexte_pdf, normaliser


class TypeDocumentInconnu(LookupError):
    """No document type is registered under this code (a programming error: the app did not register it)."""


@dataclass(frozen=True)
class Empreinte:
    """One file of a document that /verifier/ recognises by its SHA-256: the field holding it, the rows it is
    authentic for (`filtre`), and which version of the document the file is (« exemplaire envoyé pour
    signature »)."""

    champ: str
    version: str = ""
    filtre: dict | None = None


@dataclass(frozen=True)
class TypeDocument:
    code: str
    # « Titre de perception »: the PDF's subject when the type does not build its own PdfDocument.
    libelle: str
    gabarit: str = ""
    # The object → the template's context (the verification code and QR code are added when it has a code).
    construire_contexte: Callable[[Any], dict] | None = None
    nom_fichier: Callable[[Any], str] | None = None
    # The object → its PdfDocument, for a type that needs more than a template and a context.
    construire: Callable[[Any], Any] | None = None
    # Verification: a DocumentEmis model, what /verifier/ says about one of its rows, the rows that are issued
    # documents (by default all of them) and the files recognised by their SHA-256 (by default the issued file).
    modele: type[DocumentEmis] | None = None
    decrire: Callable[[Any, str], DocumentVerifie] | None = None
    emis: Callable[[], QuerySet] | None = None
    empreintes: tuple[Empreinte, ...] = ()
    # Or a Source of its own, for documents that are not rows of a DocumentEmis model.
    verification: Source | None = None

    def _emis(self) -> QuerySet:
        return self.emis() if self.emis is not None else self.modele._default_manager.all()

    def _par_code(self, code: str) -> DocumentVerifie | None:
        document = self._emis().filter(code_verification=code).first()
        return self.decrire(document, "") if document is not None else None

    def _par_empreinte(self, valeur: str) -> DocumentVerifie | None:
        for fichier in self.empreintes or (Empreinte(self.modele.champ_empreinte),):
            document = self._emis().filter(**{fichier.champ: valeur}, **(fichier.filtre or {})).first()
            if document is not None:
                return self.decrire(document, fichier.version)
        return None

    @property
    def source(self) -> Source | None:
        """How /verifier/ finds documents of this type, if it can."""
        if self.verification is not None:
            return self.verification
        if self.modele is not None and self.decrire is not None:
            return Source(par_code=self._par_code, par_empreinte=self._par_empreinte)
        return None


TYPES: dict[str, TypeDocument] = {}


def enregistrer_type(type_document: TypeDocument) -> None:
    """Called from an AppConfig.ready(); registering the same type again (a second ready() in tests) is harmless."""
    TYPES[type_document.code] = type_document


def type_document(code: str) -> TypeDocument:
    try:
        return TYPES[code]
    except KeyError:
        raise TypeDocumentInconnu(f"Aucun type de document n'est enregistré sous le code « {code} ».") from None


def document_pdf(code: str, objet):
    """The PdfDocument of `objet` as its type builds it: its own `construire`, else its template and context."""
    from .pdf import PdfDocument  # the renderer is heavy to import; only rendering needs it

    type_ = type_document(code)
    if type_.construire is not None:
        return type_.construire(objet)
    return PdfDocument(
        template_name=type_.gabarit,
        context={**type_.construire_contexte(objet), **contexte_pdf(getattr(objet, "code_verification", None))},
        filename=type_.nom_fichier(objet),
        title=f"{type_.libelle} – {objet}",
        subject=type_.libelle,
        author="",
        footer_reference=str(objet),
    )


def rendre(code: str, objet) -> tuple[str, str, bytes]:
    """`(filename, "application/pdf", bytes)`: the document of type `code` for `objet`, rendered now."""
    from .pdf import render

    return render(document_pdf(code, objet))


# --- /verifier/ reads the registry ----------------------------------------------------------------------------------


def _sources() -> list[Source]:
    return [source for type_ in TYPES.values() if (source := type_.source) is not None]


def chercher_par_code(saisie: str) -> DocumentVerifie | None:
    code = normaliser(saisie)
    if code is None:
        return None
    for source in _sources():
        found = source.par_code(code)
        if found is not None:
            return found
    return None


def chercher_par_fichier(contenu: bytes) -> DocumentVerifie | None:
    """The document whose issued file is byte for byte this one: a single changed byte is not authentic."""
    valeur = empreinte(contenu)
    for source in _sources():
        found = source.par_empreinte(valeur)
        if found is not None:
            return found
    return None
