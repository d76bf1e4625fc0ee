"""Sending a convention freezes its PDF: every later download is byte for byte the PDF that was sent."""

import hashlib
import re

import pytest

from conventions.documents import convention_document, convention_pdf
from conventions.models import Convention
from conventions.services import TransitionInterdite, envoyer_pour_signature, revenir_en_brouillon
from documents.pdf import render
from tests.factories import ConventionFactory, UserFactory

from .pdf_support import frozen_bytes, loaded, one_line, pages_text, seed_convention


@pytest.fixture
def brouillon(db):
    return seed_convention(signee=False, date_signature=None, lieu_signature="")


def test_sending_stores_the_pdf_its_sha256_and_the_date(brouillon):
    """brouillon → envoyee: the PDF is stored under an unguessable name, with its SHA-256, recorded."""
    agent = UserFactory(is_staff=True)
    envoyer_pour_signature(brouillon, user=agent)
    convention = Convention.objects.get(pk=brouillon.pk)
    assert convention.etat == Convention.Etat.ENVOYEE
    assert re.fullmatch(r"conventions/envoyees/[\w-]{32}\.pdf", convention.document.name)
    assert convention.reference not in convention.document.name
    stored = frozen_bytes(convention)
    assert stored.startswith(b"%PDF-")
    assert convention.document_sha256 == hashlib.sha256(stored).hexdigest()
    assert convention.date_envoi is not None
    last = convention.history.first()
    assert (last.history_change_reason, last.history_user, last.etat) == ("Envoi pour signature", agent, "envoyee")
    text = "\n".join(pages_text(stored))
    assert "PROJET" not in text
    assert "A Montpellier, le" in text


def test_download_is_byte_identical_after_the_address_changed(brouillon):
    """After the collectivité moved and the year's signatory changed, the download is still the PDF that was sent,
    while a new rendering would say otherwise."""
    envoyer_pour_signature(brouillon)
    convention = Convention.objects.get(pk=brouillon.pk)
    sent = frozen_bytes(convention)

    collectivite = convention.collectivite
    collectivite.adresse = "1 place de la Mairie nouvelle"
    collectivite.save()
    annee = convention.annee
    annee.signataire_titre = "Recteur de la région académique Occitanie"
    annee.save()

    filename, content_type, downloaded = convention_pdf(Convention.objects.get(pk=convention.pk))
    assert (filename, content_type) == (f"{convention.reference}.pdf", "application/pdf")
    assert downloaded == sent
    assert hashlib.sha256(downloaded).hexdigest() == convention.document_sha256
    fresh = one_line("\n".join(pages_text(render(convention_document(loaded(convention)))[2])))
    assert "1 place de la Mairie nouvelle" in fresh
    assert "1 place de la Mairie nouvelle" not in one_line("\n".join(pages_text(downloaded)))


def test_draft_preview_says_projet_on_every_page(db):
    """A draft's preview is rendered afresh and marked "PROJET" on each of its pages."""
    convention = ConventionFactory(ecoles=40)
    filename, _, pdf = convention_pdf(convention)
    assert filename == f"{convention.reference}.pdf"
    pages = pages_text(pdf)
    assert len(pages) >= 5
    assert all("PROJET" in page for page in pages)


def test_a_convention_without_school_cannot_be_sent(db):
    """Nothing to sign for: refused with a French message, nothing stored."""
    convention = ConventionFactory()
    with pytest.raises(TransitionInterdite, match="aucune école n'est inscrite à l'annexe 1"):
        envoyer_pour_signature(convention)
    convention.refresh_from_db()
    assert (convention.etat, convention.document.name, convention.document_sha256) == ("brouillon", "", "")


def test_only_a_draft_can_be_sent(brouillon):
    """Sending twice is refused: the frozen PDF is never replaced behind the collectivité's back."""
    envoyer_pour_signature(brouillon)
    first = Convention.objects.get(pk=brouillon.pk).document_sha256
    with pytest.raises(TransitionInterdite, match="Impossible d'envoyer pour signature la convention"):
        envoyer_pour_signature(Convention.objects.get(pk=brouillon.pk))
    assert Convention.objects.get(pk=brouillon.pk).document_sha256 == first


def test_back_to_draft_discards_the_frozen_pdf(brouillon, settings, django_capture_on_commit_callbacks):
    """Going back to draft is recorded with its reason, deletes the frozen file, and previews say "PROJET" again."""
    envoyer_pour_signature(brouillon)
    convention = Convention.objects.get(pk=brouillon.pk)
    path = settings.MEDIA_ROOT / convention.document.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the return to draft is committed
        revenir_en_brouillon(convention, "Une école manquait à l'annexe 1.")
    convention = Convention.objects.get(pk=brouillon.pk)
    assert not path.exists()
    assert (convention.etat, convention.document.name, convention.document_sha256) == ("brouillon", "", "")
    assert convention.history.first().history_change_reason == "Retour en brouillon : Une école manquait à l'annexe 1."
    assert all("PROJET" in page for page in pages_text(convention_pdf(convention)[2]))
