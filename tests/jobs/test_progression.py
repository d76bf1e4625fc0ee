"""The one progress page of background work (jobs.progression): a campaign batch and a file import both render it."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertTemplateUsed

from collectivites.models import ImportFichier
from conventions.models import ElementTraitement, Traitement
from jobs.progression import TEMPLATE
from tests.factories import ConventionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def en_cours():
    """A campaign batch with one item to do, and a file import waiting for a worker."""
    convention = ConventionFactory(ecoles=1)
    traitement = Traitement.objects.create(type=Traitement.Type.ENVOI, annee=convention.annee, tache="x.y")
    ElementTraitement.objects.create(traitement=traitement, convention=convention)
    import_ = ImportFichier.objects.create(
        type=ImportFichier.Type.COMMUNES, fichier="imports/cog.csv", nom_fichier="cog_communes_aude.csv"
    )
    return {
        "traitement": reverse("admin:conventions_traitement_change", args=[traitement.pk]),
        "import": reverse("admin:collectivites_importfichier_change", args=[import_.pk]),
    }


@pytest.mark.parametrize(
    ("page", "rafraichissement", "etat"),
    [("traitement", 3, "En cours"), ("import", 2, "En attente")],
)
def test_batch_and_import_render_the_one_progress_page(admin_client, en_cours, page, rafraichissement, etat):
    """Both pages render templates/admin/jobs/progression.html, each with its own refresh delay while it runs."""
    response = admin_client.get(en_cours[page])
    assert response.status_code == 200
    assertTemplateUsed(response, TEMPLATE)
    # No page of the apps' own: what differs between a batch and an import is data.
    assert not [t.name for t in response.templates if t.name.startswith(("admin/conventions/", "admin/collectivites/"))]
    content = response.content.decode()
    assert f'<meta http-equiv="refresh" content="{rafraichissement}">' in content
    assert f">{etat}</strong>" in content.split('id="etat"')[1][:60]
