"""The signed convention a collectivité deposits is checked against the PDF that was sent."""

import io

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyhanko.pdf_utils.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject, pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from collectivites.models import User
from conventions.documents import convention_document, conventions_for_documents
from conventions.models import Convention, StatutExemplaire
from conventions.services import TransitionInterdite, deposer_exemplaire_signe
from documents.pdf import render
from tests.factories import UserFactory

from .conftest import envoye, signer_comme_collectivite


def deposer(convention, content: bytes) -> Convention:
    return deposer_exemplaire_signe(convention, SimpleUploadedFile("convention-signee.pdf", content))


def un_mot_change(convention) -> bytes:
    """The same convention rendered with one word changed (the representative's quality), code included."""
    modifiee = conventions_for_documents().get(pk=convention.pk)
    modifiee.representant_qualite = "Adjointe"
    return render(convention_document(modifiee))[2]


def scan() -> bytes:
    document = pikepdf.new()
    document.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_the_sent_pdf_signed_by_the_collectivite_is_accepted(envoyee, signataire_collectivite):
    """Signed as an incremental update of the very PDF sent: accepted, conform, the signer's name and date kept."""
    convention = deposer(envoyee, signer_comme_collectivite(envoye(envoyee), signataire_collectivite))
    assert convention.exemplaire_signe_statut == StatutExemplaire.SIGNE_CONFORME
    assert convention.exemplaire_signe_signataire == "Agathe Ménard"
    assert convention.exemplaire_signe_signe_le is not None
    assert convention.exemplaire_signe


def test_one_changed_word_then_signed_is_refused(envoyee, signataire_collectivite):
    """A validly signed file whose content differs from the PDF sent is refused, and nothing is stored."""
    falsifie = signer_comme_collectivite(un_mot_change(envoyee), signataire_collectivite)
    with pytest.raises(TransitionInterdite, match=r"n'est pas la convention .* envoyée par le rectorat"):
        deposer(envoyee, falsifie)
    envoyee.refresh_from_db()
    assert not envoyee.exemplaire_signe and envoyee.exemplaire_signe_statut == ""


def test_a_change_added_before_the_signature_is_refused(envoyee, signataire_collectivite):
    """The sent bytes kept, but a revision adding an annotation over the text before signing: refused."""
    writer = IncrementalPdfFileWriter(io.BytesIO(envoye(envoyee)))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    note = writer.add_object(
        DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/FreeText"),
                pdf_name("/Rect"): page["/MediaBox"],
                pdf_name("/Contents"): TextStringObject("Montant : 1 €"),
                pdf_name("/DA"): TextStringObject("/Helv 12 Tf 0 g"),
            }
        )
    )
    annots = page.get("/Annots", ArrayObject())
    annots.append(note)
    page[NameObject("/Annots")] = annots
    writer.update_container(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    signe = signer_comme_collectivite(buffer.getvalue(), signataire_collectivite)
    with pytest.raises(TransitionInterdite, match="modifications autres que des signatures"):
        deposer(envoyee, signe)


def test_a_signature_broken_after_signing_is_refused(envoyee, signataire_collectivite):
    """A byte changed inside the signed part: the signature is no longer intact."""
    signe = bytearray(signer_comme_collectivite(envoye(envoyee), signataire_collectivite))
    start = len(envoye(envoyee)) + 10
    signe[start] = ord(b" ") if signe[start] != ord(b" ") else ord(b"\n")
    with pytest.raises(TransitionInterdite):
        deposer(envoyee, bytes(signe))


def test_a_scan_is_accepted_and_flagged(envoyee):
    """A PDF without an electronic signature is a scan: accepted, marked for the rectorat to check by eye."""
    convention = deposer(envoyee, scan())
    assert convention.exemplaire_signe_statut == StatutExemplaire.SCAN_A_VERIFIER
    assert convention.exemplaire_signe_signataire == ""


def test_the_unsigned_sent_pdf_is_refused(envoyee):
    """Sending back the PDF as it was received, unsigned, is not a signature."""
    with pytest.raises(TransitionInterdite, match="sans aucune signature"):
        deposer(envoyee, envoye(envoyee))


def test_the_portal_shows_why_a_file_is_refused(client, envoyee, signataire_collectivite):
    """On the portal, the representative sees the refusal in French on the form, and nothing is deposited."""
    representant = UserFactory(
        email="maire@martynec.fr", collectivite=envoyee.collectivite, role=User.Role.REPRESENTANT
    )
    client.force_login(representant)
    falsifie = signer_comme_collectivite(un_mot_change(envoyee), signataire_collectivite)
    response = client.post(
        reverse("conventions:exemplaire_signe", args=[envoyee.pk]),
        {"fichier": SimpleUploadedFile("signee.pdf", falsifie, content_type="application/pdf")},
    )
    assert response.status_code == 200
    assert "n&#x27;est pas la convention" in response.content.decode()
    envoyee.refresh_from_db()
    assert not envoyee.exemplaire_signe
