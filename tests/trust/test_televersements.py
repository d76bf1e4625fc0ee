"""What a deposited or checked file may be: its size (refused before it is read), no active content, and a damaged
signature is « signature illisible », never a server error."""

import io
import re

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collectivites.models import User
from tests.factories import UserFactory

from .conftest import envoye

MO = 1024 * 1024


@pytest.fixture
def representant(envoyee):
    return UserFactory(email="maire@martynec.fr", collectivite=envoyee.collectivite, role=User.Role.REPRESENTANT)


def _deposer(client, convention, contenu: bytes, **extra):
    return client.post(
        reverse("conventions:exemplaire_signe", args=[convention.pk]),
        {"fichier": SimpleUploadedFile("signee.pdf", contenu, content_type="application/pdf")},
        **extra,
    )


def _verifier(client, contenu: bytes, **extra):
    fichier = SimpleUploadedFile("document.pdf", contenu, content_type="application/pdf")
    return client.post("/verifier/", {"fichier": fichier}, **extra)


# --- Size ----------------------------------------------------------------------------------------------------------


def test_limites_par_defaut():
    """20 Mo for a deposited convention, 10 Mo for an anonymous check."""
    from django.conf import settings

    assert (settings.EXEMPLAIRE_SIGNE_TAILLE_MAX, settings.VERIFICATION_TAILLE_MAX) == (20 * MO, 10 * MO)


def test_un_depot_trop_gros_est_refuse_sans_etre_lu(client, settings, envoyee, representant):
    """Past the limit, the deposit answers 413 in French and its body is never read; nothing is stored."""
    settings.EXEMPLAIRE_SIGNE_TAILLE_MAX = 1 * MO
    client.force_login(representant)
    response = _deposer(client, envoyee, b"%PDF-1.7\n" + b"0" * (2 * MO))
    assert response.status_code == 413
    assert not response.wsgi_request._read_started
    assert "dépasse la taille autorisée (1 Mo au maximum)" in response.content.decode()
    envoyee.refresh_from_db()
    assert not envoyee.exemplaire_signe


def test_50_mo_annonces_au_depot_et_200_mo_a_verifier_sont_refuses_sur_leur_longueur(client, envoyee, representant):
    """The declared length decides: 50 Mo to the deposit form, 200 Mo anonymously to /verifier/, refused unread."""
    client.force_login(representant)
    depot = _deposer(client, envoyee, b"%PDF-1.7\n", CONTENT_LENGTH=str(50 * MO))
    client.logout()
    verification = _verifier(client, b"%PDF-1.7\n", CONTENT_LENGTH=str(200 * MO))
    for response, limite in ((depot, "20 Mo"), (verification, "10 Mo")):
        assert response.status_code == 413
        assert not response.wsgi_request._read_started
        assert f"({limite} au maximum)" in response.content.decode()


def test_sous_la_limite_le_controle_csrf_s_applique_toujours(envoyee, representant):
    """The size check comes before the CSRF check, which still refuses a deposit without its token."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(representant)
    assert _deposer(client, envoyee, b"%PDF-1.7\n").status_code == 403


# --- Active content ------------------------------------------------------------------------------------------------


def _pdf(modifier) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    modifier(pdf)
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def _javascript(pdf):
    pdf.Root.OpenAction = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.launchURL('https://x.example')"))
    )


def _launch(pdf):
    action = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
    lien = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 100], A=action)
    pdf.pages[0].Annots = pikepdf.Array([pdf.make_indirect(lien)])


def _ouverture_uri(pdf):
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://x.example"))


def _fichier_joint(pdf):
    pdf.attachments["facture.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ", mime_type="application/octet-stream")


def _xfa(pdf):
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pikepdf.Array())


@pytest.mark.parametrize(
    "modifier, raison",
    [
        (_javascript, "il contient du JavaScript et une action exécutée à l&#x27;ouverture du document"),
        (_launch, "une action qui lance un programme ou un fichier (/Launch)"),
        (_ouverture_uri, "une action exécutée à l&#x27;ouverture du document (/OpenAction)"),
        (_fichier_joint, "il contient des fichiers joints"),
        (_xfa, "il contient un formulaire XFA"),
    ],
)
def test_un_pdf_actif_est_refuse_avec_sa_raison(client, envoyee, representant, modifier, raison):
    """JavaScript, /Launch, an /OpenAction other than showing a page, embedded files, XFA: refused, saying which."""
    client.force_login(representant)
    response = _deposer(client, envoyee, _pdf(modifier))
    assert response.status_code == 200
    assert raison in response.content.decode()
    envoyee.refresh_from_db()
    assert not envoyee.exemplaire_signe


def test_une_ouverture_sur_une_page_est_acceptee(client, envoyee, representant):
    """/OpenAction showing the first page, as many scanners write it, is a plain view: the scan is accepted."""
    client.force_login(representant)

    def premiere_page(pdf):
        pdf.Root.OpenAction = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])

    assert _deposer(client, envoyee, _pdf(premiere_page)).status_code == 302


# --- Damaged signatures --------------------------------------------------------------------------------------------


def avec_champ_de_signature(base: bytes, champ: bytes) -> bytes:
    """`base` and an incremental update adding one signature field whose dictionary is `champ` (PDF syntax), as a
    signing tool appends its signature: the bytes sent stay a prefix, so every check of the deposit runs."""
    with pikepdf.open(io.BytesIO(base)) as pdf:
        suivant = int(pdf.trailer.Size)
        racine = pdf.Root.objgen[0]
        entrees = b" ".join(
            pikepdf.Name(cle).unparse() + b" " + pdf.Root[cle].unparse() for cle in pdf.Root if cle != "/AcroForm"
        )
    precedent = int(re.findall(rb"startxref\s+(\d+)", base)[-1])
    sortie = io.BytesIO()
    sortie.write(base if base.endswith(b"\n") else base + b"\n")
    objets = {
        racine: b"<< " + entrees + b" /AcroForm %d 0 R >>" % suivant,
        suivant: b"<< /Fields [%d 0 R] /SigFlags 3 >>" % (suivant + 1),
        suivant + 1: champ.replace(b"SELF", b"%d 0 R" % (suivant + 1)),
    }
    positions = {}
    for numero, texte in objets.items():
        positions[numero] = sortie.tell()
        sortie.write(b"%d 0 obj\n%s\nendobj\n" % (numero, texte))
    xref = sortie.tell()
    sortie.write(b"xref\n" + b"".join(b"%d 1\n%010d 00000 n \n" % (n, positions[n]) for n in sorted(positions)))
    sortie.write(b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\n" % (suivant + 2, racine, precedent))
    sortie.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return sortie.getvalue()


SIG = b"/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached"
CHAMPS_ENDOMMAGES = {
    "/V tableau": b"<< /FT /Sig /T (Signature1) /V [1 2 3] >>",
    "/V nombre": b"<< /FT /Sig /T (Signature1) /V 42 >>",
    "/V texte": b"<< /FT /Sig /T (Signature1) /V (signee) >>",
    "/V flux": b"<< /FT /Sig /T (Signature1) /V SELF >>",
    "/V référence absente": b"<< /FT /Sig /T (Signature1) /V 9999 0 R >>",
    "/V vide": b"<< /FT /Sig /T (Signature1) /V << >> >>",
    "sans /Contents ni /ByteRange": b"<< /FT /Sig /T (Signature1) /V << " + SIG + b" >> >>",
    "/ByteRange à trois nombres": b"<< /FT /Sig /T (S) /V << " + SIG + b" /ByteRange [0 10 20] /Contents <00> >> >>",
    "/ByteRange négatif": b"<< /FT /Sig /T (S) /V << " + SIG + b" /ByteRange [0 -5 10 10] /Contents <00> >> >>",
    "/ByteRange hors du fichier": b"<< /FT /Sig /T (S) /V << "
    + SIG
    + b" /ByteRange [0 100 999999999 10] /Contents <00> >> >>",
    "/ByteRange en texte": b"<< /FT /Sig /T (S) /V << " + SIG + b" /ByteRange (0 1 2 3) /Contents <00> >> >>",
    "/ByteRange en noms": b"<< /FT /Sig /T (S) /V << " + SIG + b" /ByteRange [/a /b /c /d] /Contents <00> >> >>",
    "/ByteRange décimal": b"<< /FT /Sig /T (S) /V << " + SIG + b" /ByteRange [0 1.5 2 3] /Contents <00> >> >>",
    "/Contents nombre": b"<< /FT /Sig /T (S) /V << " + SIG + b" /ByteRange [0 10 20 30] /Contents 12 >> >>",
    "/Contents pas du CMS": b"<< /FT /Sig /T (S) /V << " + SIG + b" /ByteRange [0 10 20 30] /Contents <DEADBEEF> >> >>",
    "/Contents DER tronqué": b"<< /FT /Sig /T (S) /V << "
    + SIG
    + b" /ByteRange [0 10 20 30] /Contents <3082FFFF06092A864886F70D010702> >> >>",
    "horodatage illisible": b"<< /FT /Sig /T (S) /V << /Type /DocTimeStamp /Filter /Adobe.PPKLite "
    b"/SubFilter /ETSI.RFC3161 /ByteRange [0 10 20 30] /Contents <00> >> >>",
    "champ en boucle": b"<< /FT /Sig /T (S) /Kids [SELF] /V << " + SIG + b" /ByteRange [0 1 2 3] /Contents <00> >> >>",
    "/T absent": b"<< /FT /Sig /V << " + SIG + b" /ByteRange [0 10 20 30] /Contents <00> >> >>",
}


def test_un_corpus_de_signatures_endommagees_repond_signature_illisible(client, envoyee, representant):
    """Each damaged signature dictionary, appended to the very PDF sent: the deposit says « signature illisible »
    (never 500, nothing stored), and /verifier/ answers that it does not know the file."""
    assert len(CHAMPS_ENDOMMAGES) >= 15
    base = envoye(envoyee)
    client.force_login(representant)
    reponses = {}
    for nom, champ in CHAMPS_ENDOMMAGES.items():
        contenu = avec_champ_de_signature(base, champ)
        depot = _deposer(client, envoyee, contenu)
        verification = _verifier(client, contenu)
        reponses[nom] = (
            depot.status_code,
            "signature illisible" in depot.content.decode(),
            verification.status_code,
            "Document non reconnu" in verification.content.decode(),
        )
    assert reponses == dict.fromkeys(CHAMPS_ENDOMMAGES, (200, True, 200, True))
    envoyee.refresh_from_db()
    assert not envoyee.exemplaire_signe
