"""A campaign of 200 conventions through a real Celery worker (2 prefork processes, Redis, PostgreSQL): prepared,
rendered, sent, signed and billed, each message delivered twice; every convention ends with exactly one frozen PDF,
one e-mail of each kind and one titre."""

import datetime
import email
import email.policy
import hashlib
import re
import time
from collections import Counter

import pytest
from django.conf import settings

from conventions.campagne import lancer_envoi, lancer_preparation, mettre_en_file
from conventions.models import AnneeScolaire, Convention, ElementTraitement, Notification, Traitement
from conventions.services import enregistrer_signature
from facturation.campagne import lancer_emission
from facturation.models import TitreDePerception
from tests.facturation.factories import ParametresFacturationFactory

from .donnees import charger_academie
from .worker import Worker

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

NB_CONVENTIONS = 200


def attendre(traitement: Traitement, worker: Worker, timeout: float = 600) -> dict:
    # A deadline for liveness, not a speed target: on a loaded 2-core machine 200 items can take minutes.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        traitement.refresh_from_db()
        if traitement.termine_le is not None:
            return traitement.compteurs()
        time.sleep(0.5)
    pytest.fail(f"{traitement} inachevé : {traitement.compteurs()}\n{worker.logs()[-3000:]}")


def attendre_emails(worker: Worker, timeout: float = 60) -> None:
    """E-mails are sent by their own task once their record is committed: wait until none is left to send."""
    deadline = time.monotonic() + timeout
    while Notification.objects.filter(etat=Notification.Etat.A_ENVOYER).exists():
        if time.monotonic() > deadline:
            pytest.fail(f"E-mails encore à envoyer après {timeout} s\n{worker.logs()[-3000:]}")
        time.sleep(0.5)


def deux_fois(traitement: Traitement) -> None:
    """Every item's message sent a second time, as a broker may redeliver: both copies race on the 2 processes."""
    mettre_en_file(traitement, traitement.elements.values_list("pk", flat=True))


def lire_emails(dossier) -> list[email.message.EmailMessage]:
    separateur = b"\n" + b"-" * 79 + b"\n"
    messages = []
    for fichier in sorted(dossier.iterdir()):
        for brut in fichier.read_bytes().split(separateur):
            if brut.strip():
                messages.append(email.message_from_bytes(brut, policy=email.policy.default))
    return messages


def test_campaign_end_to_end_on_a_real_worker(worker):
    """Prepare, render and send, sign, issue titres: on 2 worker processes, nothing is done twice."""
    debut, duree = time.monotonic(), {}  # seconds since the start, printed when the test fails
    jeu = charger_academie(nb_collectivites=NB_CONVENTIONS, nb_ecoles=450)
    ParametresFacturationFactory(academie=jeu.academie)

    duree["données"] = round(time.monotonic() - debut)
    preparation = lancer_preparation("2022-2023", jeu.annee)
    assert attendre(preparation, worker) == {"total": 200, "faits": 200, "echecs": 0, "restants": 0}
    annee = AnneeScolaire.objects.get(libelle="2022-2023")
    conventions = Convention.objects.filter(annee=annee)
    assert conventions.count() == NB_CONVENTIONS
    assert not conventions.exclude(etat=Convention.Etat.BROUILLON).exists()

    duree["préparation"] = round(time.monotonic() - debut)
    [envoi] = lancer_envoi(conventions)
    deux_fois(envoi)
    assert attendre(envoi, worker) == {"total": 200, "faits": 200, "echecs": 0, "restants": 0}

    duree["envoi"] = round(time.monotonic() - debut)
    for convention in conventions:
        enregistrer_signature(convention, datetime.date.today(), "Montpellier")
    duree["signature"] = round(time.monotonic() - debut)
    [emission] = lancer_emission(conventions)
    deux_fois(emission)
    assert attendre(emission, worker) == {"total": 200, "faits": 200, "echecs": 0, "restants": 0}
    duree["titres"] = round(time.monotonic() - debut)
    print("Durées cumulées (s) :", duree)
    # The duplicates still queued find their items done; let them drain, and the e-mails go, before counting.
    time.sleep(1)
    attendre_emails(worker)

    # One frozen PDF per convention, its bytes matching the stored SHA-256, and no second rendering on disk.
    envoyees = settings.MEDIA_ROOT / "conventions" / "envoyees"
    assert len(list(envoyees.iterdir())) == NB_CONVENTIONS
    for convention in conventions:
        contenu = convention.document.read()
        convention.document.close()
        assert contenu.startswith(b"%PDF-")
        assert hashlib.sha256(contenu).hexdigest() == convention.document_sha256

    # One e-mail of each kind per convention, in the records and in what the e-mail backend really wrote.
    assert set(Notification.objects.values_list("etat", flat=True)) == {Notification.Etat.ENVOYEE}
    par_type = Counter(Notification.objects.values_list("type", "convention_id"))
    assert len(par_type) == 2 * NB_CONVENTIONS and set(par_type.values()) == {1}
    sujets = [message["Subject"] for message in lire_emails(worker.mail_dir)]
    pretes = Counter(re.search(r"ENT-\d\d-2022-2023-\d+", s).group() for s in sujets if "prête à signer" in s)
    titres_envoyes = [s for s in sujets if "titre de perception" in s]
    assert len(pretes) == NB_CONVENTIONS and set(pretes.values()) == {1}
    assert len(titres_envoyes) == len(set(titres_envoyes)) == NB_CONVENTIONS

    # One titre per convention, numbered without gap.
    titres = TitreDePerception.objects.filter(convention__annee=annee)
    assert Counter(titres.values_list("convention_id", flat=True)) == Counter({c.pk: 1 for c in conventions})
    assert sorted(titres.values_list("sequence", flat=True)) == list(range(1, NB_CONVENTIONS + 1))

    assert not ElementTraitement.objects.filter(etat=ElementTraitement.Etat.ECHEC).exists()
    # Both pool processes took part: the work really ran concurrently.
    assert len(set(re.findall(r"ForkPoolWorker-\d+", worker.logs()))) >= 2
