"""Every portal page makes as many queries for 1 convention of 1 school as for 10 conventions of 20 schools."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collectivites.models import Contact, User
from conventions.services import deposer_exemplaire_signe
from facturation.services import emettre_titre
from tests.factories import (
    AnneeScolaireFactory,
    CollectiviteFactory,
    CommuneFactory,
    ConventionFactory,
    EcoleFactory,
    UserFactory,
)
from tests.facturation.factories import ParametresFacturationFactory

from .conftest import upload


def _monde(nb_conventions: int, nb_ecoles: int, nom: str) -> dict:
    """A grouping paying per commune: nb_conventions signed conventions with a titre, plus a draft and a sent one."""
    groupement = CollectiviteFactory(groupement=True, nom=nom, conventions_par_commune=True)
    representant = UserFactory(email=f"president@{nom}.fr", collectivite=groupement, role=User.Role.REPRESENTANT)
    communes = [CommuneFactory(groupement=groupement) for _ in range(nb_conventions)]
    annee = AnneeScolaireFactory(libelle="2021-2022")
    ParametresFacturationFactory(academie=annee.academie)
    signees = []
    for commune in communes:
        convention = ConventionFactory(
            collectivite=groupement, commune=commune, annee=annee, signee=True, ecoles=nb_ecoles
        )
        emettre_titre(convention, date_emission=datetime.date(2021, 10, 1))
        signees.append(convention)
    brouillon = ConventionFactory(
        collectivite=groupement, commune=communes[0], annee=AnneeScolaireFactory(libelle="2022-2023"), ecoles=nb_ecoles
    )
    EcoleFactory.create_batch(nb_ecoles, commune=communes[0])
    envoyee = ConventionFactory(
        collectivite=groupement,
        commune=communes[0],
        annee=AnneeScolaireFactory(libelle="2023-2024"),
        envoyee=True,
        ecoles=nb_ecoles,
    )
    deposer_exemplaire_signe(envoyee, upload(), representant)
    for i in range(nb_conventions):
        Contact.objects.create(
            collectivite=groupement, role="contributeur", prenom="Agent", nom=f"N{i}", email=f"agent{i}@{nom}.fr"
        )
    titre = signees[0].titres.get()
    return {
        "user": representant,
        "pages": {
            "tableau de bord": reverse("portail:tableau_de_bord"),
            "titres": reverse("facturation:titres"),
            "titre PDF": reverse("facturation:titre_pdf", args=[titre.pk]),
            "contacts": reverse("collectivites:contacts"),
            "convention signée": reverse("conventions:detail", args=[signees[0].pk]),
            "convention en préparation": reverse("conventions:detail", args=[brouillon.pk]),
            "PDF du projet": reverse("conventions:pdf", args=[brouillon.pk]),
            "choix des écoles": reverse("conventions:choix_ecoles", args=[brouillon.pk]),
            "dépôt de la convention signée": reverse("conventions:exemplaire_signe", args=[envoyee.pk]),
            "convention signée déposée": reverse("conventions:exemplaire_signe_pdf", args=[envoyee.pk]),
        },
    }


def _get(client, url):
    response = client.get(url)
    if response.streaming:
        # Read to the end: the download's file is then closed by the test client.
        b"".join(response.streaming_content)
    return response


def _compter(client, monde) -> dict:
    client.force_login(monde["user"])
    counts = {}
    for page, url in monde["pages"].items():
        _get(client, url)  # warms what a process caches once (content types, templates)
        with CaptureQueriesContext(connection) as queries:
            response = _get(client, url)
        assert response.status_code == 200, page
        counts[page] = len(queries)
    client.logout()
    return counts


def test_query_counts_do_not_grow_with_conventions_and_schools(client, db):
    """No N+1: each page costs the same number of queries for 1 convention of 1 school and 10 of 20."""
    petit = _compter(client, _monde(1, 1, "petit"))
    grand = _compter(client, _monde(10, 20, "grand"))
    assert grand == petit
    # And the numbers stay small (session, user, collectivité, then the page's own queries).
    assert max(petit.values()) <= 10, petit
