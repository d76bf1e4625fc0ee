"""A convention on the portal: schools of Annexe 1, the PDF, the school choice, the signed copy and its confirmation."""

import datetime
import hashlib
import io
import re

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from conventions.models import Convention
from facturation.pdf import PdfTitreAltere
from tests.factories import CommuneFactory, EcoleFactory

from .conftest import pdf_bytes, upload


def _texte_pdf(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def _ecoles_inscrites(convention) -> set:
    return set(convention.inscriptions.values_list("ecole_id", flat=True))


def test_dashboard_lists_conventions_per_year_with_titre_and_rest_to_pay(client, monde):
    """The dashboard: one table per school year, each convention with state, schools, amount, titre, rest to pay."""
    client.force_login(monde.representant)
    page = client.get(reverse("portail:tableau_de_bord")).content.decode()
    years = re.findall(r"<h2[^>]*>Année scolaire (\d{4}-\d{4})</h2>", page)
    assert years == ["2023-2024", "2022-2023", "2021-2022"]
    assert f"Titre n° {monde.titre.numero}" in page
    assert "2 écoles" in page and "100,00\u00a0€" in page
    assert page.count("50,00\u00a0€") >= 2  # the signed convention's amount and what is left to pay


def test_convention_page_shows_annexe_1_and_amount(client, monde):
    """The convention page lists its schools and states the amount as schools × rate."""
    client.force_login(monde.representant)
    page = client.get(reverse("conventions:detail", args=[monde.brouillon.pk])).content.decode()
    for inscription in monde.brouillon.inscriptions.select_related("ecole"):
        assert inscription.ecole.uai in page
    assert "2 écoles × 50,00\u00a0€ =" in page and "100,00\u00a0€ TTC" in page
    assert "Télécharger le projet de convention (PDF)" in page


def test_draft_pdf_is_a_projet_and_sent_pdf_is_the_frozen_one(client, monde):
    """Before sending, the download is a "PROJET" preview; once sent, exactly the frozen bytes."""
    client.force_login(monde.representant)
    projet = client.get(reverse("conventions:pdf", args=[monde.brouillon.pk]))
    assert projet["Content-Type"] == "application/pdf"
    assert f'filename="{monde.brouillon.reference}.pdf"' in projet["Content-Disposition"]
    assert "PROJET" in _texte_pdf(projet.content)

    frozen = pdf_bytes(3, "Convention envoyée")
    monde.envoyee.document.save("envoyee.pdf", io.BytesIO(frozen), save=True)
    sent = client.get(reverse("conventions:pdf", args=[monde.envoyee.pk]))
    assert sent.content == frozen


def test_choosing_schools_updates_annexe_1_and_amount(client, monde):
    """The representative ticks schools; Annexe 1 becomes exactly those, and the amount follows."""
    client.force_login(monde.representant)
    url = reverse("conventions:choix_ecoles", args=[monde.brouillon.pk])
    page = client.get(url).content.decode()
    assert 'data-tarif="50.00"' in page and "portail/choix-ecoles" in page
    garder = monde.brouillon.inscriptions.first().ecole
    choix = [garder.pk] + [e.pk for e in monde.ecoles_libres]
    response = client.post(url, {"ecoles": choix})
    assert response.status_code == 302
    assert _ecoles_inscrites(monde.brouillon) == set(choix)
    detail = client.get(response["Location"]).content.decode()
    assert "Le choix est enregistré : 3 écoles sont inscrites." in detail
    assert "150,00\u00a0€ TTC" in detail


def test_schools_outside_the_territory_cannot_be_chosen(client, monde):
    """A school of another commune, a private or a closed one is not offered, and a forged POST is refused."""
    ailleurs = EcoleFactory(commune=CommuneFactory())
    privee = EcoleFactory(commune=monde.brouillon.collectivite.commune, privee=True)
    fermee = EcoleFactory(commune=monde.brouillon.collectivite.commune, fermee=True)
    avant = _ecoles_inscrites(monde.brouillon)
    client.force_login(monde.representant)
    url = reverse("conventions:choix_ecoles", args=[monde.brouillon.pk])
    page = client.get(url).content.decode()
    for ecole in (ailleurs, privee, fermee):
        assert ecole.uai not in page
        response = client.post(url, {"ecoles": [ecole.pk]})
        assert response.status_code == 200
        assert "Une des écoles cochées ne peut pas être inscrite dans cette convention" in response.content.decode()
    assert _ecoles_inscrites(monde.brouillon) == avant


def test_locked_choice_and_sent_convention_cannot_change(client, monde):
    """Once the rectorat locks the choice, or once the convention is sent, the choice page only informs."""
    Convention.objects.filter(pk=monde.brouillon.pk).update(choix_ecoles_verrouille=True)
    client.force_login(monde.representant)
    avant = _ecoles_inscrites(monde.brouillon)
    url = reverse("conventions:choix_ecoles", args=[monde.brouillon.pk])
    assert "Le rectorat a verrouillé le choix des écoles" in client.get(url).content.decode()
    assert client.post(url, {"ecoles": [e.pk for e in monde.ecoles_libres]}).status_code == 409
    assert _ecoles_inscrites(monde.brouillon) == avant

    url = reverse("conventions:choix_ecoles", args=[monde.envoyee.pk])
    assert client.post(url, {"ecoles": []}).status_code == 409
    assert monde.envoyee.inscriptions.count() == 1


def test_upload_stores_the_signed_pdf_under_an_unguessable_name(client, monde):
    """The signed PDF is stored under a random name with its SHA-256, the return date set, the rectorat can see it."""
    client.force_login(monde.representant)
    content = pdf_bytes(2, "Convention signée par le maire")
    response = client.post(
        reverse("conventions:exemplaire_signe", args=[monde.envoyee.pk]), {"fichier": upload(content)}
    )
    assert response.status_code == 302
    convention = Convention.objects.get(pk=monde.envoyee.pk)
    assert convention.exemplaire_signe_sha256 == hashlib.sha256(content).hexdigest()
    name = convention.exemplaire_signe.name
    assert re.fullmatch(r"conventions/signees/[A-Za-z0-9_-]{32}\.pdf", name)
    assert convention.reference not in name and "convention-signee" not in name
    with convention.exemplaire_signe.open("rb") as stored:
        assert stored.read() == content
    assert timezone.now() - convention.date_retour < datetime.timedelta(minutes=1)
    assert convention.history.first().history_change_reason == "Dépôt de l'exemplaire signé"
    download = client.get(reverse("conventions:exemplaire_signe_pdf", args=[convention.pk]))
    assert b"".join(download.streaming_content) == content
    # What the representative now reads: the state they look for, not « à signer », and no fingerprint.
    for page in (reverse("conventions:detail", args=[convention.pk]), reverse("portail:tableau_de_bord")):
        texte = client.get(page).content.decode()
        assert "Déposée, en vérification" in texte and "À signer" not in texte
        assert convention.exemplaire_signe_sha256 not in texte


def test_upload_refuses_what_is_not_a_readable_pdf(client, monde, settings):
    """Not a PDF, a damaged PDF: refused with a message naming the file; nothing stored (the size limit, applied
    before the body is read, is tested in tests/trust/test_televersements.py)."""
    client.force_login(monde.representant)
    url = reverse("conventions:exemplaire_signe", args=[monde.envoyee.pk])
    before = Convention.objects.values_list("exemplaire_signe", "exemplaire_signe_sha256").get(pk=monde.envoyee.pk)
    cases = [
        (upload(b"PK\x03\x04 un fichier zip", "scan.docx"), "Le fichier « scan.docx » n&#x27;est pas un PDF."),
        (upload(b"%PDF-1.7\n rien de lisible", "abime.pdf"), "Le PDF « abime.pdf » est endommagé"),
    ]
    for fichier, message in cases:
        response = client.post(url, {"fichier": fichier})
        assert response.status_code == 200
        assert message in response.content.decode()
    after = Convention.objects.values_list("exemplaire_signe", "exemplaire_signe_sha256").get(pk=monde.envoyee.pk)
    assert after == before


def test_upload_only_while_sent(client, monde):
    """A draft has nothing to sign yet: the upload is refused (409) and nothing is stored."""
    client.force_login(monde.representant)
    response = client.post(reverse("conventions:exemplaire_signe", args=[monde.brouillon.pk]), {"fichier": upload()})
    assert response.status_code == 409
    assert not Convention.objects.get(pk=monde.brouillon.pk).exemplaire_signe


def test_rectorat_confirms_the_signature_from_the_admin(client, monde, agent_gestion):
    """The admin lists deposited copies to confirm, serves the file to staff, and records the signature."""
    client.force_login(agent_gestion)
    changelist = reverse("admin:conventions_convention_changelist")
    listed = client.get(changelist, {"retour": "a_confirmer"}).content.decode()
    assert monde.envoyee.reference in listed and monde.brouillon.reference not in listed

    fichier = client.get(reverse("admin:conventions_convention_exemplaire_signe", args=[monde.envoyee.pk]))
    assert b"".join(fichier.streaming_content).startswith(b"%PDF-")

    client.post(
        changelist,
        {
            "action": "confirmer_signature",
            "_selected_action": [monde.envoyee.pk, monde.brouillon.pk],
            "confirmer": "1",
            "date_signature": timezone.localdate().isoformat(),
            "lieu_signature": "Montpellier",
        },
        follow=True,
    )
    envoyee = Convention.objects.get(pk=monde.envoyee.pk)
    assert (envoyee.etat, envoyee.date_signature, envoyee.lieu_signature) == (
        "signee",
        timezone.localdate(),
        envoyee.annee.academie.ville_signature,
    )
    assert Convention.objects.get(pk=monde.brouillon.pk).etat == "brouillon"


def test_referent_reads_but_does_not_act(client, monde, referent_a):
    """A référent ville sees the conventions, downloads PDFs and titres, but neither chooses nor uploads."""
    client.force_login(referent_a)
    detail = client.get(reverse("conventions:detail", args=[monde.brouillon.pk])).content.decode()
    assert "Choisir les écoles" not in detail
    assert client.get(reverse("conventions:pdf", args=[monde.brouillon.pk])).status_code == 200
    assert client.get(reverse("facturation:titres")).status_code == 200
    avant = _ecoles_inscrites(monde.brouillon)
    url = reverse("conventions:choix_ecoles", args=[monde.brouillon.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"ecoles": [e.pk for e in monde.ecoles_libres]}).status_code == 403
    assert _ecoles_inscrites(monde.brouillon) == avant
    upload_url = reverse("conventions:exemplaire_signe", args=[monde.envoyee.pk])
    sha = monde.envoyee.exemplaire_signe_sha256
    assert client.post(upload_url, {"fichier": upload(pdf_bytes(3))}).status_code == 403
    assert Convention.objects.get(pk=monde.envoyee.pk).exemplaire_signe_sha256 == sha


def test_titre_download_is_the_issued_pdf(client, monde):
    """The titre's download is the stored document, byte for byte."""
    client.force_login(monde.representant)
    response = client.get(reverse("facturation:titre_pdf", args=[monde.titre.pk]))
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == monde.titre.pdf_sha256
    page = client.get(reverse("facturation:titres")).content.decode()
    # Issued in 2021 and unpaid: past due, it reads « En retard » (as in the admin and the export), not « À payer ».
    assert f"n° {monde.titre.numero}" in page and "En retard" in page and "À payer" not in page


def test_an_altered_titre_file_is_never_served(client, monde):
    """A stored titre whose bytes no longer match their SHA-256 is refused, not handed to the collectivité."""
    with monde.titre.pdf.open("wb") as stored:
        stored.write(b"%PDF-1.7\n% altered\n%%EOF\n")
    client.force_login(monde.representant)
    with pytest.raises(PdfTitreAltere):
        client.get(reverse("facturation:titre_pdf", args=[monde.titre.pk]))
