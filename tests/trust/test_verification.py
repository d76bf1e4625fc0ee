"""The public page /verifier/ recognises every issued document by code and by file, and nothing else."""

import io
import re
import subprocess

import pikepdf
import pytest
import segno
import zxingcpp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from conventions.services import (
    deposer_exemplaire_signe,
    enregistrer_signature,
    envoyer_pour_signature,
    revenir_en_brouillon,
)
from documents.verification import QUIET_ZONE, affiche, nouveau_code, url_verification
from facturation.services import annuler_titre, emettre_titre
from tests.conventions.pdf_support import pages_text
from tests.factories import ConventionFactory
from tests.facturation.factories import convention_du_seed

from .conftest import envoye, signer_comme_collectivite

URL = "/verifier/"


def lire(fichier) -> bytes:
    with fichier.open("rb") as stored:
        return stored.read()


def par_code(client, code: str) -> str:
    response = client.get(URL, {"code": code})
    assert response.status_code == 200
    return response.content.decode()


def par_fichier(client, content: bytes) -> str:
    response = client.post(URL, {"fichier": SimpleUploadedFile("document.pdf", content)})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def emis(envoyee, certificat_academie, signataire_collectivite):
    """Every kind of issued document: a convention sent, one signed by both parties, a titre and its cancellation."""
    signee = convention_du_seed()
    autre = envoyer_pour_signature(ConventionFactory(ecoles=1))
    deposer_exemplaire_signe(
        autre, SimpleUploadedFile("s.pdf", signer_comme_collectivite(envoye(autre), signataire_collectivite))
    )
    autre = enregistrer_signature(autre, autre.date_envoi.date(), "Montpellier")
    titre = emettre_titre(signee)
    annulation = annuler_titre(titre, "Erreur d'école")
    return {"envoyee": envoyee, "signee": autre, "titre": titre, "annulation": annulation}


def test_the_page_is_open_to_anyone(db, client):
    """No login: an anonymous visitor gets the form, not the login page (whose header names the académies)."""
    response = client.get(URL)
    assert response.status_code == 200
    assert "Code de vérification" in response.content.decode()
    assert reverse("verification") == URL


def test_every_issued_pdf_prints_its_code_and_address(emis, settings):
    """The code and the address of the page are on every page of each issued PDF."""
    documents = {
        "envoyee": lire(emis["envoyee"].document),
        "signee": lire(emis["signee"].document_signe),
        "titre": lire(emis["titre"].pdf),
        "annulation": lire(emis["annulation"].pdf),
    }
    for key, pdf in documents.items():
        code = affiche(emis[key].code_verification)
        for page in pages_text(pdf):
            flat = re.sub(r"\s+", " ", page)
            assert code in flat, key
            assert f"{settings.SITE_URL}/verifier/" in flat, key


def qr_codes(pdf: bytes, tmp_path) -> list[list[str]]:
    """What a phone reads on each page printed at 150 dpi (poppler's pdftoppm, then zxing-cpp)."""
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "document.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "document.pdf", "page"], cwd=tmp_path, check=True)
    return [
        [code.text for code in zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode)]
        for png in sorted(tmp_path.glob("page-*.png"))
    ]


def test_every_page_has_a_qr_code_that_scans_to_its_verification(emis, tmp_path):
    """The QR code of every page, read back from the printed page, opens /verifier/ with the document's code."""
    for key, fichier in [("envoyee", emis["envoyee"].document), ("titre", emis["titre"].pdf)]:
        pages = qr_codes(lire(fichier), tmp_path / key)
        assert pages, key
        assert pages == [[url_verification(emis[key].code_verification)]] * len(pages), key


def test_the_qr_code_has_its_quiet_zone(emis, tmp_path):
    """Printed at 150 dpi, the QR code read back has four white modules on each side (ISO/IEC 18004), whatever
    the footer's text beside it."""
    (tmp_path / "document.pdf").write_bytes(lire(emis["titre"].pdf))
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", "-f", "1", "-l", "1", "document.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    (code,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    corners = [code.position.top_left, code.position.top_right, code.position.bottom_left, code.position.bottom_right]
    left, right = min(p.x for p in corners), max(p.x for p in corners)
    top, bottom = min(p.y for p in corners), max(p.y for p in corners)
    modules = segno.make_qr(url_verification(emis["titre"].code_verification), error="m").symbol_size(border=0)[0]
    zone = round(QUIET_ZONE * (right - left + 1) / modules) - 1  # a pixel less: the edge may be anti-aliased
    ring = [
        (x, y)
        for x in range(left - zone, right + zone + 1)
        for y in range(top - zone, bottom + zone + 1)
        if not (left - 1 <= x <= right + 1 and top - 1 <= y <= bottom + 1)
    ]
    assert zone >= 6, "module de moins d'un pixel et demi à 150 dpi"
    assert [p for p in ring if image.getpixel(p) < 200] == [], "zone de silence non blanche autour du QR code"
    # The quiet zone is the image's own (one pixel a module), not the chance of the page around it.
    with pikepdf.open(io.BytesIO(lire(emis["titre"].pdf))) as pdf:
        (stream,) = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]
        embedded = pikepdf.PdfImage(stream).as_pil_image().convert("L")
    assert embedded.size == (modules + 2 * QUIET_ZONE,) * 2
    side = embedded.size[0]
    border = [(x, y) for x in range(side) for y in range(side) if min(x, y, side - 1 - x, side - 1 - y) < QUIET_ZONE]
    assert all(embedded.getpixel(p) == 255 for p in border)


def test_the_qr_code_is_one_image_never_interpolated(emis):
    """Embedded once and drawn on every page; PDF/A forbids interpolation, which would also blur its modules."""
    with pikepdf.open(io.BytesIO(lire(emis["envoyee"].document))) as pdf:
        images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]
        assert len(images) == 1
        assert images[0].get("/Interpolate") is False
        for page in pdf.pages:
            assert images[0].objgen in [xobject.objgen for xobject in page.Resources.XObject.values()]


def test_every_issued_document_is_recognised_by_code(client, emis):
    """Each code names its document, its issue date and its current state."""
    envoyee = par_code(client, affiche(emis["envoyee"].code_verification))
    assert "Document authentique" in envoyee and emis["envoyee"].reference in envoyee
    assert "Envoyée pour signature" in envoyee
    signee = par_code(client, emis["signee"].code_verification.lower())  # typed in lower case, without dashes
    assert emis["signee"].reference in signee and "Signée" in signee
    titre = par_code(client, affiche(emis["titre"].code_verification))
    assert "Titre de perception" in titre and emis["titre"].numero in titre and "Annulé" in titre
    annulation = par_code(client, affiche(emis["annulation"].code_verification))
    assert "Titre d&#x27;annulation" in annulation and emis["annulation"].numero in annulation
    assert f"annule le titre de perception n° {emis['titre'].numero}" in annulation


def test_every_issued_file_is_recognised(client, emis):
    """The file of each issued document, as issued, is recognised, with the version it is."""
    files = {
        "envoyee": (lire(emis["envoyee"].document), "exemplaire envoyé pour signature"),
        "signee": (lire(emis["signee"].document_signe), "exemplaire signé par les deux parties"),
        "titre": (lire(emis["titre"].pdf), "titre tel qu&#x27;il a été émis"),
        "annulation": (lire(emis["annulation"].pdf), "titre tel qu&#x27;il a été émis"),
    }
    for key, (content, version) in files.items():
        page = par_fichier(client, content)
        assert "Document authentique" in page, key
        assert version in page, key
        identifiant = emis[key].reference if key in ("envoyee", "signee") else emis[key].numero
        assert identifiant in page, key


def test_a_modified_copy_is_rejected(client, emis):
    """One byte changed in an issued titre: not recognised."""
    content = bytearray(lire(emis["titre"].pdf))
    content[len(content) // 2] ^= 0x01
    page = par_fichier(client, bytes(content))
    assert "Document non reconnu" in page and emis["titre"].numero not in page


def test_nothing_is_said_about_documents_never_issued(client, envoyee, emis):
    """An unknown code, and the code of a convention sent back to draft (its PDF withdrawn), answer nothing."""
    code = envoyee.code_verification
    revenir_en_brouillon(envoyee, "Erreur d'école")
    for unknown in (code, nouveau_code()):
        page = par_code(client, affiche(unknown))
        assert "Document non reconnu" in page
        assert envoyee.reference not in page and "Convention de partenariat" not in page
    malformed = par_code(client, "pas-un-code")
    assert "n&#x27;a pas la forme d&#x27;un code" in malformed


def test_rate_limited_with_a_french_429(db, client, settings):
    """Past the allowed number of requests per address, the page answers 429 with an explanation in French."""
    settings.VERIFICATION_RATE = "3/m"
    for _ in range(3):
        assert client.get(URL, {"code": nouveau_code()}).status_code == 200
    response = client.get(URL, {"code": nouveau_code()})
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()
