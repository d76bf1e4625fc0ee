"""A small world for the portal: collectivité A with a convention in each state, a titre and a contact; B apart."""

import datetime
import io
from dataclasses import dataclass

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from collectivites.models import Contact, Invitation, User
from conventions.models import Convention
from conventions.services import deposer_exemplaire_signe
from facturation.services import emettre_titre
from tests.factories import AnneeScolaireFactory, ConventionFactory, EcoleFactory, UserFactory
from tests.facturation.factories import ParametresFacturationFactory


def pdf_bytes(pages: int = 1, text: str = "Convention signée") -> bytes:
    """A real, small PDF (what a scanner produces is no different to the checks)."""
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Title"] = text
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def upload(content: bytes | None = None, name: str = "convention-signee.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else pdf_bytes(), content_type="application/pdf")


@dataclass
class Monde:
    """Collectivité A's objects, one of each kind a portal URL can name."""

    representant: User
    brouillon: Convention
    envoyee: Convention
    signee: Convention
    titre: object
    contact: Contact
    ecoles_libres: list
    invitation: Invitation


@pytest.fixture
def monde(representant_a, collectivite_a) -> Monde:
    commune = collectivite_a.commune
    brouillon = ConventionFactory(
        collectivite=collectivite_a, annee=AnneeScolaireFactory(libelle="2023-2024"), ecoles=2
    )
    ecoles_libres = EcoleFactory.create_batch(2, commune=commune)
    envoyee = ConventionFactory(
        collectivite=collectivite_a,
        annee=AnneeScolaireFactory(libelle="2022-2023"),
        envoyee=True,
        ecoles=1,
        date_envoi=datetime.datetime(2022, 9, 5, 10, 0, tzinfo=datetime.UTC),
    )
    deposer_exemplaire_signe(envoyee, upload(), representant_a)
    envoyee.refresh_from_db()
    signee = ConventionFactory(
        collectivite=collectivite_a,
        annee=AnneeScolaireFactory(libelle="2021-2022"),
        signee=True,
        date_signature=datetime.date(2021, 9, 13),
        ecoles=1,
    )
    ParametresFacturationFactory(academie=signee.annee.academie)
    titre = emettre_titre(signee, date_emission=datetime.date(2021, 10, 1))
    contact = Contact.objects.create(
        collectivite=collectivite_a,
        role=Contact.Role.REFERENT,
        prenom="Jeanne",
        nom="Martin",
        email="jeanne.martin@commune-a.fr",
    )
    # Pending, as the representative left it (created directly: no e-mail in the tests' outbox).
    invitation = Invitation.objects.create(
        collectivite=collectivite_a,
        role=User.Role.CONTRIBUTEUR,
        prenom="Lucie",
        nom="Durand",
        email="lucie.durand@commune-a.fr",
        token_sha256="0" * 64,
        invitee_par=representant_a,
        expire_le=timezone.now() + datetime.timedelta(days=7),
    )
    return Monde(representant_a, brouillon, envoyee, signee, titre, contact, ecoles_libres, invitation)


@pytest.fixture
def referent_a(collectivite_a):
    return UserFactory(email="referent@commune-a.fr", collectivite=collectivite_a, role=User.Role.REFERENT)


@pytest.fixture
def contributeur_a(collectivite_a):
    return UserFactory(email="contributeur@commune-a.fr", collectivite=collectivite_a, role=User.Role.CONTRIBUTEUR)
