"""Every admin changelist opens for a "Gestion ENT" agent and fetches its related rows in bounded queries."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collectivites.models import Collectivite, Commune, Contact, ImportFichier, Invitation, User
from conventions.models import (
    Academie,
    AnneeScolaire,
    Convention,
    ElementTraitement,
    Notification,
    TexteConvention,
    Traitement,
)
from conventions.texte import texte_de_campagne
from ecoles.importers import IMPORT_ECOLES
from ecoles.models import Ecole
from facturation.models import Paiement, ParametresFacturation, Relance, TitreDePerception
from tests.factories import (
    AcademieFactory,
    AnneeScolaireFactory,
    CollectiviteFactory,
    CommuneFactory,
    ContactFactory,
    ConventionFactory,
    EcoleFactory,
    InvitationFactory,
    UserFactory,
)
from tests.facturation.factories import (
    PaiementFactory,
    ParametresFacturationFactory,
    RelanceFactory,
    TitreDePerceptionFactory,
)

PROJECT_APPS = {"collectivites", "ecoles", "conventions", "facturation"}


def make_traitement(i):
    annee = AnneeScolaireFactory(libelle=f"{2000 + i}-{2001 + i}")
    traitement = Traitement.objects.create(
        type=Traitement.Type.ENVOI, annee=annee, tache="conventions.tasks.envoyer_convention", lance_par=UserFactory()
    )
    ElementTraitement.objects.create(traitement=traitement, convention=ConventionFactory(annee=annee))


def make_rows(model, count, offset):
    """Creates `count` rows of `model`, each with the related rows its changelist shows."""
    builders = {
        Collectivite: lambda i: CollectiviteFactory(),
        Commune: lambda i: CommuneFactory(groupement=CollectiviteFactory(groupement=True)),
        User: lambda i: UserFactory(collectivite=CollectiviteFactory(), role=User.Role.REFERENT),
        Invitation: lambda i: InvitationFactory(invitee_par=UserFactory(is_staff=True)),
        Contact: lambda i: ContactFactory(),
        Ecole: lambda i: EcoleFactory(),
        Academie: lambda i: AcademieFactory(code=f"{i:02d}"),
        AnneeScolaire: lambda i: AnneeScolaireFactory(libelle=f"{2000 + i}-{2001 + i}"),
        Convention: lambda i: ConventionFactory(ecoles=2),
        TitreDePerception: lambda i: TitreDePerceptionFactory(),
        Paiement: lambda i: PaiementFactory(),
        Relance: lambda i: RelanceFactory(),
        ParametresFacturation: lambda i: ParametresFacturationFactory(academie=AcademieFactory(code=f"{i:02d}")),
        Traitement: make_traitement,
        TexteConvention: lambda i: texte_de_campagne(AnneeScolaireFactory(libelle=f"{2000 + i}-{2001 + i}")),
        ImportFichier: lambda i: ImportFichier.objects.create(
            type=IMPORT_ECOLES.type, fichier=f"imports/{i}.csv", nom_fichier=f"{i}.csv", lance_par=UserFactory()
        ),
        Notification: lambda i: Notification.objects.create(
            convention=ConventionFactory(), type=Notification.Type.CONVENTION_PRETE, destinataires="a@b.fr", sujet="s"
        ),
    }
    assert model in builders, f"Ajoutez à tests/test_admin.py de quoi créer des {model.__name__} pour ce test."
    for i in range(offset, offset + count):
        builders[model](i)


def project_admins():
    return [
        pytest.param(model, id=model._meta.label)
        for model in admin.site._registry
        if model._meta.app_label in PROJECT_APPS
    ]


def changelist_queries(client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, f"{url} → {response.status_code}"
    return len(queries)


@pytest.mark.parametrize("model", project_admins())
def test_changelist_opens_with_bounded_queries(client, agent_gestion, model):
    """The changelist answers 200 and costs the same number of queries for 5 rows and for 50."""
    client.force_login(agent_gestion)
    make_rows(model, 5, offset=10)
    with_5 = changelist_queries(client, model)
    make_rows(model, 45, offset=20)
    assert model.objects.count() >= 50
    assert changelist_queries(client, model) == with_5


def test_changelist_page_holds_the_rows_of_the_list_order(client, agent_gestion, monkeypatch):
    """A page of a changelist (read keys first, then rows) holds the rows of the list's order at that place."""
    client.force_login(agent_gestion)
    for libelle in ("2021-2022", "2022-2023"):
        annee = AnneeScolaireFactory(libelle=libelle)
        for _ in range(4):
            ConventionFactory(annee=annee, ecoles=1)
    monkeypatch.setattr(admin.site._registry[Convention], "list_per_page", 3)
    url = reverse("admin:conventions_convention_changelist")
    ordre = list(Convention.objects.order_by("-annee__libelle", "reference").values_list("pk", flat=True))
    for page, attendues in ((1, ordre[:3]), (2, ordre[3:6]), (3, ordre[6:])):
        response = client.get(url, {"p": page})
        lignes = list(response.context["cl"].result_list)
        assert [c.pk for c in lignes] == attendues
        # The page's rows keep the list's annotations.
        assert all(c.nb_ecoles == 1 for c in lignes)


def test_departement_filter_offers_the_departements_of_the_conventions_seen(client, agent_gestion):
    """The département filter offers those of the collectivités with a convention the agent sees, no others."""
    client.force_login(agent_gestion)
    ConventionFactory(collectivite=CollectiviteFactory(departement="34"))
    ConventionFactory(collectivite=CollectiviteFactory(departement="11"))
    ConventionFactory(
        annee=AnneeScolaireFactory(academie=AcademieFactory(code="16", nom="Académie de Toulouse")),
        collectivite=CollectiviteFactory(departement="09"),
    )
    CollectiviteFactory(departement="30")
    response = client.get(reverse("admin:conventions_convention_changelist"))
    (filtre,) = [f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", None) == "departement"]
    assert [code for code, _ in filtre.lookup_choices] == ["11", "34"]


def test_row_checkbox_is_django_s_markup(db):
    """The changelist's selection checkbox, written without the form renderer, is the markup Django renders."""
    model_admin = admin.site._registry[Collectivite]
    collectivite = CollectiviteFactory(nom='Commune d\'<Aÿ> & "Fontaine"')
    assert model_admin.action_checkbox(collectivite) == admin.ModelAdmin.action_checkbox(model_admin, collectivite)
