"""The académie's PAdES signatures: the convention's countersignature and each titre at issue, valid and PDF/A."""

import datetime
import io

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from facturx import get_xml_from_pdf
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from conventions.documents import convention_pdf
from conventions.models import StatutExemplaire
from conventions.services import deposer_exemplaire_signe, enregistrer_signature
from documents.formats import date_en_lettres
from documents.signatures import certificat_configure
from facturation.services import annuler_titre, emettre_titre
from tests.conventions.pdf_support import metadata_disagreements, printed_text, xmp_packet
from tests.facturation.factories import convention_du_seed

from .conftest import envoye, signer_comme_collectivite


def signatures(pdf: bytes, *roots) -> dict:
    """Each signature of the PDF: its field name → (intact, valid, trusted against `roots`, signer's name)."""
    context = ValidationContext(trust_roots=list(roots), allow_fetching=False)
    found = {}
    for sig in PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures:
        status = validate_pdf_signature(sig, signer_validation_context=context)
        name = sig.signer_cert.subject.native["common_name"]
        found[sig.field_name] = (status.intact, status.valid, status.trusted, name)
    return found


def pdfa(pdf: bytes) -> tuple[str, str]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        meta = document.open_metadata()
        return meta.get("pdfaid:part"), meta.get("pdfaid:conformance")


def scan() -> bytes:
    document = pikepdf.new()
    document.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_countersignature_keeps_the_collectivites_signature(
    envoyee, certificat_academie, autorite, autre_autorite, signataire_collectivite
):
    """A copy signed by the collectivité is countersigned in "Signature academie" as an incremental update: both
    signatures are intact and valid (each trusted against its own CA), and the PDF keeps its PDF/A identification."""
    signe = signer_comme_collectivite(envoye(envoyee), signataire_collectivite)
    deposer_exemplaire_signe(envoyee, SimpleUploadedFile("signee.pdf", signe))
    convention = enregistrer_signature(envoyee, envoyee.date_envoi.date(), "Montpellier")
    with convention.document_signe.open("rb") as stored:
        final = stored.read()
    assert final.startswith(signe), "la signature de l'académie doit s'ajouter au fichier signé par la collectivité"
    found = signatures(final, autorite.racine, autre_autorite.racine)
    assert found == {
        "Signature collectivite": (True, True, True, "Agathe Ménard"),
        "Signature academie": (True, True, True, "Sophie Béjean"),
    }
    assert signatures(final, autorite.racine)["Signature collectivite"][2] is False, "racine inconnue : non approuvée"
    assert pdfa(final) == ("3", "A")
    assert metadata_disagreements(final) == {}
    assert convention_pdf(convention)[2] == final
    assert f"A Montpellier, le {date_en_lettres(convention.date_signature)}" in "".join(printed_text(final))


def test_a_scan_gets_the_signature_on_the_frozen_pdf(envoyee, certificat_academie, autorite):
    """With a scan, the académie signs the frozen PDF that was sent: the sent bytes, then its signature."""
    deposee = deposer_exemplaire_signe(envoyee, SimpleUploadedFile("scan.pdf", scan()))
    assert deposee.exemplaire_signe_statut == StatutExemplaire.SCAN_A_VERIFIER
    convention = enregistrer_signature(envoyee, envoyee.date_envoi.date(), "Montpellier")
    with convention.document_signe.open("rb") as stored:
        final = stored.read()
    assert final.startswith(envoye(convention))
    assert signatures(final, autorite.racine) == {"Signature academie": (True, True, True, "Sophie Béjean")}
    assert pdfa(final) == ("3", "A")


def test_without_a_certificate_the_dated_copy_is_unsigned(envoyee, settings):
    """No certificate configured: the signature is recorded and the copy of both parties is the sent PDF with the
    date of signature filled in, as an incremental update without any electronic signature."""
    settings.SIGNATURE_PKCS12_PATH = ""
    assert not certificat_configure()
    convention = enregistrer_signature(envoyee, datetime.date(2021, 9, 13), "Montpellier")
    final = convention_pdf(convention)[2]
    assert final.startswith(envoye(convention)) and final != envoye(convention)
    assert signatures(final) == {}
    assert "A Montpellier, le treize septembre 2021" in "".join(printed_text(final))
    assert pdfa(final) == ("3", "A")
    assert "sans signature électronique" in convention.history.first().history_change_reason


def test_each_titre_is_signed_at_issue(db, certificat_academie, autorite):
    """A titre and its cancelling titre are each signed in "Signature ordonnateur" over the Factur-X PDF/A-3: the
    signature is valid, the XML is still attached, the stored SHA-256 is the signed file's."""
    titre = emettre_titre(convention_du_seed())
    annulation = annuler_titre(titre, "Erreur sur le nombre d'écoles")
    for document in (titre, annulation):
        with document.pdf.open("rb") as stored:
            pdf = stored.read()
        assert signatures(pdf, autorite.racine) == {"Signature ordonnateur": (True, True, True, "Sophie Béjean")}
        assert pdfa(pdf) == ("3", "A")
        # The signature wrote the XMP again: the Factur-X properties keep their prefix, and both metadata agree.
        assert 'fx:ConformanceLevel="EN 16931"' in xmp_packet(pdf) and "ns0:" not in xmp_packet(pdf)
        assert metadata_disagreements(pdf) == {}
        filename, xml = get_xml_from_pdf(pdf, check_xsd=False)
        assert filename == "factur-x.xml" and document.numero.encode() in xml


def test_an_unreadable_certificate_is_reported(envoyee, settings, tmp_path):
    """A wrong PKCS#12 file stops the signature with a message naming the setting, instead of an unsigned copy."""
    bad = tmp_path / "faux.p12"
    bad.write_bytes(b"pas un PKCS#12")
    settings.SIGNATURE_PKCS12_PATH = str(bad)
    from conventions.services import TransitionInterdite

    with pytest.raises(TransitionInterdite, match="SIGNATURE_PKCS12_PATH"):
        enregistrer_signature(envoyee, envoyee.date_envoi.date(), "Montpellier")
