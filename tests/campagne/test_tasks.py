"""Batches of background work (run in-process here): each item done once, failures kept with their reason."""

import datetime
import threading
import time
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from conventions.campagne import (
    conventions_a_relancer,
    lancer_envoi,
    lancer_preparation,
    lancer_relances,
    lancer_traitement,
    reessayer,
)
from conventions.models import Convention, ElementTraitement, Notification, Traitement
from conventions.services import choisir_ecoles
from conventions.tasks import envoyer_convention, executer_element
from tests.factories import AnneeScolaireFactory, ConventionFactory, EcoleFactory

pytestmark = pytest.mark.django_db


def _il_y_a(jours: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=jours)


def _envoyee(jours: int, **kwargs) -> Convention:
    return ConventionFactory(
        etat=Convention.Etat.ENVOYEE, document_sha256="d" * 64, date_envoi=_il_y_a(jours), ecoles=1, **kwargs
    )


def test_send_batch_freezes_each_pdf_and_mails_once(django_capture_on_commit_callbacks):
    """« Envoyer en arrière-plan » on drafts: each PDF frozen and readable, one e-mail each; run again, nothing."""
    brouillons = ConventionFactory.create_batch(2, ecoles=2)
    with django_capture_on_commit_callbacks(execute=True):
        [traitement] = lancer_envoi(Convention.objects.all())
    assert traitement.compteurs() == {"total": 2, "faits": 2, "echecs": 0, "restants": 0}
    assert Traitement.objects.get(pk=traitement.pk).termine_le is not None
    for convention in brouillons:
        convention.refresh_from_db()
        assert convention.etat == Convention.Etat.ENVOYEE
        with convention.document.open("rb") as pdf:
            text = PdfReader(pdf).pages[0].extract_text()
        assert "2021-2022" in text
    assert len(mail.outbox) == 2
    shas = {c.pk: c.document_sha256 for c in Convention.objects.all()}
    # The e-mail is recorded under the frozen PDF's SHA-256, read from the convention the task just sent.
    assert dict(Notification.objects.values_list("convention_id", "cle")) == shas

    with django_capture_on_commit_callbacks(execute=True):
        [encore] = lancer_envoi(Convention.objects.all())
    assert encore.compteurs()["faits"] == 2
    assert {c.pk: c.document_sha256 for c in Convention.objects.all()} == shas
    assert len(mail.outbox) == 2
    messages = set(encore.elements.values_list("message", flat=True))
    assert messages == {"Déjà envoyée (PDF inchangé) ; e-mail déjà envoyé."}


def test_failure_is_kept_with_its_reason_and_can_be_retried(django_capture_on_commit_callbacks):
    """A draft without any school fails with the workflow's French reason; once fixed, a retry sends it."""
    vide = ConventionFactory()
    ConventionFactory(ecoles=1)
    with django_capture_on_commit_callbacks(execute=True):
        [traitement] = lancer_envoi(Convention.objects.all())
    assert traitement.compteurs() == {"total": 2, "faits": 1, "echecs": 1, "restants": 0}
    echec = traitement.elements.get(etat=ElementTraitement.Etat.ECHEC)
    assert echec.convention == vide
    assert echec.message == (
        f"Impossible d'envoyer la convention {vide.reference} pour signature : aucune école n'est inscrite à "
        "l'annexe 1."
    )
    assert Traitement.objects.get(pk=traitement.pk).termine_le is not None

    choisir_ecoles(vide, [EcoleFactory()])  # the agent adds a school
    with django_capture_on_commit_callbacks(execute=True):
        assert reessayer(traitement) == 1
    echec.refresh_from_db()
    assert echec.etat == ElementTraitement.Etat.FAIT
    assert echec.tentatives == 2
    assert traitement.compteurs() == {"total": 2, "faits": 2, "echecs": 0, "restants": 0}
    assert len(mail.outbox) == 2


def test_an_item_done_is_not_run_again():
    """Running the task of a finished item (a message delivered twice) does nothing."""
    convention = ConventionFactory(ecoles=1)
    traitement = lancer_traitement(Traitement.Type.ENVOI, convention.annee, Convention.objects.all())
    element = traitement.elements.get()
    envoyer_convention(element.pk)
    element.refresh_from_db()
    assert (element.etat, element.tentatives) == (ElementTraitement.Etat.FAIT, 1)
    assert executer_element(element.pk, lambda e: pytest.fail("ran twice")) is None
    envoyer_convention(element.pk)
    element.refresh_from_db()
    assert element.tentatives == 1
    assert Notification.objects.count() == 1


def test_reminders_go_after_the_configured_delay_once(settings, django_capture_on_commit_callbacks):
    """Only conventions sent more than RELANCE_RETOUR_JOURS days ago and not returned are reminded, once."""
    settings.RELANCE_RETOUR_JOURS = 30
    ancienne = _envoyee(40)
    _envoyee(10)
    _envoyee(40, exemplaire_signe="conventions/signees/x.pdf")  # returned, awaiting the rectorat's confirmation
    ConventionFactory(signee=True, ecoles=1)
    assert list(conventions_a_relancer()) == [ancienne]
    with django_capture_on_commit_callbacks(execute=True):
        lancer_relances()
    assert [m.to for m in mail.outbox] == [[ancienne.collectivite.email]]
    assert list(conventions_a_relancer()) == []
    settings.RELANCE_RETOUR_JOURS = 5
    assert conventions_a_relancer().count() == 1  # the 10-day-old one, now past the shorter delay


def test_send_reminders_command(settings, django_capture_on_commit_callbacks):
    """`send_reminders --dry-run` lists without sending; without it, it sends and says so."""
    settings.RELANCE_RETOUR_JOURS = 30
    convention = _envoyee(31)
    out = StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    assert "1 convention à relancer (envoyées depuis plus de 30 jours, non retournées)." in out.getvalue()
    assert convention.reference in out.getvalue()
    assert mail.outbox == []
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=out)
    assert len(mail.outbox) == 1
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert out.getvalue().startswith("0 convention à relancer")


def test_preparation_batch_keeps_a_report_per_convention(django_capture_on_commit_callbacks):
    """The admin's preparation runs as a batch; each item keeps what changed for its convention."""
    precedente = AnneeScolaireFactory(libelle="2021-2022")
    source = ConventionFactory(annee=precedente, signee=True, ecoles=2)
    with django_capture_on_commit_callbacks(execute=True):
        traitement = lancer_preparation("2022-2023", precedente)
    element = traitement.elements.get()
    assert element.etat == ElementTraitement.Etat.FAIT
    nouvelle = Convention.objects.get(annee__libelle="2022-2023")
    assert element.message == f"{nouvelle.reference} créée : 2 écoles reconduites."
    assert element.detail["reference"] == nouvelle.reference
    assert sorted(element.detail["reconduites"]) == sorted(source.inscriptions.values_list("ecole__uai", flat=True))


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_item_at_once():
    """While one worker holds an item, another one skips it (SELECT … FOR UPDATE SKIP LOCKED), on PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("Le verrouillage SKIP LOCKED se vérifie sur PostgreSQL.")
    convention = ConventionFactory(ecoles=1)
    traitement = Traitement.objects.create(type=Traitement.Type.ENVOI, annee=convention.annee, tache="x.y")
    element = ElementTraitement.objects.create(traitement=traitement, convention=convention)
    en_cours, fin = threading.Event(), threading.Event()
    appels = []

    def lente(item):
        appels.append(item.pk)
        en_cours.set()
        fin.wait(10)
        return "fait"

    def premier():
        try:
            executer_element(element.pk, lente)
        finally:
            connection.close()

    thread = threading.Thread(target=premier)
    thread.start()
    assert en_cours.wait(10)
    debut = time.monotonic()
    assert executer_element(element.pk, lente) is None  # skipped at once, not waiting for the lock
    assert time.monotonic() - debut < 2
    fin.set()
    thread.join(10)
    element.refresh_from_db()
    assert appels == [element.pk]
    assert (element.etat, element.tentatives) == (ElementTraitement.Etat.FAIT, 1)


def test_a_failed_item_waits_for_the_agents_retry(django_capture_on_commit_callbacks):
    """A message delivered again for a failed item does not run it: only « Réessayer » puts it back."""
    vide = ConventionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        [traitement] = lancer_envoi(Convention.objects.all())
    element = traitement.elements.get()
    envoyer_convention(element.pk)
    element.refresh_from_db()
    assert (element.etat, element.tentatives) == (ElementTraitement.Etat.ECHEC, 1)
    choisir_ecoles(vide, [EcoleFactory()])
    with django_capture_on_commit_callbacks(execute=True):
        reessayer(traitement, [element.pk])
    element.refresh_from_db()
    assert (element.etat, element.tentatives) == (ElementTraitement.Etat.FAIT, 2)
