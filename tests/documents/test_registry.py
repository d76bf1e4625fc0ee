"""A new document type is one template, one context builder and one registration (documents.registry); the
convention and the titre are two such types, and share what an issued document is (documents.models)."""

import datetime
import re
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conventions.models import Convention
from conventions.services import envoyer_pour_signature
from documents import registry
from documents.models import DocumentEmis, empreinte
from documents.pdf import CONTENT_TYPE
from documents.registry import TypeDocument, TypeDocumentInconnu, enregistrer_type, rendre
from documents.verification import DocumentVerifie, Source, affiche
from facturation.models import TitreDePerception
from tests.conventions.pdf_support import pages_text
from tests.factories import ConventionFactory

URL = "/verifier/"

GABARIT = """{% extends "pdf/base.html" %}
{% block content %}
<h1>Attestation d'inscription</h1>
<p>{{ collectivite }} est inscrite à l'ENT-école sous le numéro {{ numero }}.</p>
{% endblock %}
"""


@dataclass
class Attestation:
    """A document that exists only in this test: no model, no table."""

    numero: str
    collectivite: str
    code_verification: str = "K7QM4XPA9DZC"

    def __str__(self):
        return f"Attestation n° {self.numero}"


@pytest.fixture
def attestation(settings, tmp_path, monkeypatch):
    """The throw-away type registered as an app would register it; the registry is restored afterwards."""
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "attestation_essai.html").write_text(GABARIT)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    monkeypatch.setattr(registry, "TYPES", dict(registry.TYPES))

    document = Attestation("2026-001", "Commune de Mouthoumet")
    # The fingerprints of the issued files, as a model's row stores them.
    empreintes = set()

    def decrire(version: str = "") -> DocumentVerifie:
        return DocumentVerifie(
            nature="Attestation d'inscription",
            reference=document.numero,
            emis_le=datetime.date(2026, 12, 2),
            etat="Valide",
            version=version,
            emetteur="Académie de Montpellier",
        )

    enregistrer_type(
        TypeDocument(
            code="attestation",
            libelle="Attestation d'inscription",
            gabarit="pdf/attestation_essai.html",
            construire_contexte=lambda a: {"numero": a.numero, "collectivite": a.collectivite},
            nom_fichier=lambda a: f"attestation-{a.numero}.pdf",
            verification=Source(
                par_code=lambda code: decrire() if code == document.code_verification else None,
                par_empreinte=lambda valeur: (
                    decrire("attestation telle qu'elle a été émise") if valeur in empreintes else None
                ),
            ),
        )
    )
    return document, empreintes


def test_a_registered_type_is_rendered_through_the_registry(attestation):
    """Its template, its context and its file name, with the verification code every issued PDF prints."""
    document, _ = attestation
    filename, content_type, pdf = rendre("attestation", document)
    assert (filename, content_type) == ("attestation-2026-001.pdf", CONTENT_TYPE)
    [page] = [re.sub(r"\s+", " ", text) for text in pages_text(pdf)]
    assert "Commune de Mouthoumet est inscrite à l'ENT-école sous le numéro 2026-001." in page
    assert affiche(document.code_verification) in page


def test_verifier_finds_a_registered_type_by_its_code(db, client, attestation):
    """/verifier/ reads the registry: the new type is found by its code, typed as people type it."""
    response = client.get(URL, {"code": "k7qm 4xpa-9dzc"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Attestation d&#x27;inscription" in page and "2026-001" in page


def test_verifier_finds_a_registered_type_by_its_file(db, client, attestation):
    """The file issued, uploaded as is, is recognised by its SHA-256; one byte more and it is not."""
    document, empreintes = attestation
    _, _, pdf = rendre("attestation", document)
    empreintes.add(empreinte(pdf))
    trouve = client.post(URL, {"fichier": SimpleUploadedFile("a.pdf", pdf)}).content.decode()
    assert "attestation telle qu&#x27;elle a été émise" in trouve
    altere = client.post(URL, {"fichier": SimpleUploadedFile("a.pdf", pdf + b"\n")}).content.decode()
    assert "2026-001" not in altere


def test_an_unregistered_type_is_a_clear_error():
    with pytest.raises(TypeDocumentInconnu, match="« attestation »"):
        rendre("attestation", Attestation("1", "X"))


def test_the_convention_and_the_titre_register_themselves():
    """From their AppConfig.ready(), as issued documents that /verifier/ finds."""
    assert registry.type_document("convention").modele is Convention
    assert registry.type_document("titre").modele is TitreDePerception
    assert issubclass(Convention, DocumentEmis) and issubclass(TitreDePerception, DocumentEmis)
    assert all(registry.type_document(code).source is not None for code in ("convention", "titre"))


@pytest.mark.django_db
def test_a_sent_convention_is_an_issued_document():
    """Its frozen PDF, read back and checked against its SHA-256, its code and its date of issue (the sending)."""
    convention = envoyer_pour_signature(ConventionFactory(ecoles=1))
    contenu = convention.lire_fichier()
    assert convention.est_intact(contenu) and convention.document_sha256 == empreinte(contenu)
    assert convention.emis_le_jour == timezone.localdate(convention.date_envoi)
    assert convention.code_affiche == affiche(convention.code_verification)
    assert convention.url_verification.endswith(f"/verifier/?code={convention.code_affiche}")
    # No certificate configured in the tests: the file carries no electronic signature.
    assert convention.niveau_signature() == ""
    assert not convention.est_intact(contenu + b"\n")
