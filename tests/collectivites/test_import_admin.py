"""The communes import in the admin (COG, EPCI), through the same background runs as the schools; the runs are
read-only in the admin, followed only by those who may import them, and out of reach of collectivités' accounts."""

import html
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collectivites.models import Collectivite, Commune, ImportFichier
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
COG = DATA / "cog_communes_aude.csv"
EPCI = DATA / "epci_composition_aude.csv"
COG_ABIME = DATA / "cog_abime.csv"
IPS = Path(__file__).parents[1] / "ecoles" / "data" / "ministere" / "ips-ecoles-aude-2021-2022.csv"
URL = reverse("admin:collectivites_commune_importer")
URL_ECOLES = reverse("admin:ecoles_ecole_importer")
LISTE = reverse("admin:collectivites_importfichier_changelist")


def page_de(import_: ImportFichier) -> str:
    return reverse("admin:collectivites_importfichier_change", args=[import_.pk])


def url_confirmer(import_: ImportFichier) -> str:
    return reverse("admin:collectivites_importfichier_confirmer", args=[import_.pk])


def agent_avec(email: str, app_label: str, codenames: list[str]):
    user = UserFactory(email=email, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    return user


@pytest.fixture
def agent(client):
    """An agent of the référentiel allowed to add and change communes and to create groupings, logged in."""
    user = agent_avec(
        "referentiel@ac-montpellier.fr",
        "collectivites",
        ["view_commune", "add_commune", "change_commune", "add_collectivite"],
    )
    client.force_login(user)
    return user


@pytest.fixture
def envoyer(client, django_capture_on_commit_callbacks):
    """A POST whose background task runs once committed (in-process: no broker in tests)."""

    def envoyer(url: str, data: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return envoyer


def deposer(envoyer, path: Path, url: str = URL, **options):
    return envoyer(url, {"fichier": SimpleUploadedFile(path.name, path.read_bytes(), "text/csv"), **options})


def lire(client, import_: ImportFichier) -> str:
    return html.unescape(client.get(page_de(import_)).content.decode())


def test_liste_des_communes_propose_l_import(client, agent):
    """The communes' changelist links to the import, for those who may import only."""
    assert URL in client.get(reverse("admin:collectivites_commune_changelist")).content.decode()

    agent.user_permissions.remove(Permission.objects.get(codename="add_collectivite"))
    assert URL not in client.get(reverse("admin:collectivites_commune_changelist")).content.decode()
    assert client.get(URL).status_code == 403


def test_import_du_cog_depuis_l_admin(client, agent, envoyer):
    """The COG uploaded in the admin is previewed, then confirmed: 9 communes created in the agent's name."""
    response = deposer(envoyer, COG, departement="11")

    apercu = ImportFichier.objects.get()
    assert response["Location"] == page_de(apercu)
    assert (apercu.type, apercu.etat, apercu.options) == (
        ImportFichier.Type.COMMUNES,
        ImportFichier.Etat.TERMINE,
        {"departement": "11", "academie": "", "ignorer_invalides": False},
    )
    page = lire(client, apercu)
    assert "communes du Code officiel géographique (INSEE)" in page
    assert '<th scope="row">Communes à créer</th><td>7</td>' in page
    assert "Hors du département 11" in page
    assert not Commune.objects.exists()

    envoyer(url_confirmer(apercu))

    import_ = ImportFichier.objects.get(apercu=apercu)
    assert import_.etat == ImportFichier.Etat.TERMINE
    assert '<th scope="row">Communes créées</th><td>7</td>' in lire(client, import_)
    assert Commune.objects.count() == 7
    assert Commune.history.filter(history_user=agent).count() == 7


def test_composition_des_epci_cree_les_groupements(client, agent, envoyer):
    """The EPCI file, from the admin too: the groupings are created and counted on the run's page."""
    deposer(envoyer, EPCI)
    apercu = ImportFichier.objects.get()

    envoyer(url_confirmer(apercu))

    page = lire(client, ImportFichier.objects.get(apercu=apercu))
    assert '<th scope="row">Groupements créés</th><td>2</td>' in page
    assert Collectivite.objects.filter(type=Collectivite.Type.COMMUNAUTE_COMMUNES).count() == 1


def test_fichier_abime_refuse_en_nommant_la_ligne(client, agent, envoyer):
    """A damaged COG fails with the first rejected line named, offers no confirmation, and creates nothing."""
    deposer(envoyer, COG_ABIME)

    apercu = ImportFichier.objects.get()
    assert apercu.etat == ImportFichier.Etat.ECHEC
    page = lire(client, apercu)
    assert "Première erreur : Ligne 2, colonne « COM », valeur « 1053 » : le code INSEE a perdu son zéro" in page
    assert "Confirmer l'import" not in page
    assert envoyer(url_confirmer(apercu)).status_code == 302
    assert ImportFichier.objects.count() == 1
    assert not Commune.objects.exists()


def test_un_representant_n_atteint_aucune_page_d_import(client, envoyer, representant_a):
    """A collectivité's representative (not staff) is sent to the admin's login by every import page, and can
    neither upload nor confirm."""
    superuser = UserFactory(email="admin@ac-montpellier.fr", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    deposer(envoyer, COG)
    apercu = ImportFichier.objects.get()
    communes = list(Commune.objects.values_list("code_insee", flat=True))
    client.force_login(representant_a)

    for url in [URL, URL_ECOLES, LISTE, page_de(apercu), url_confirmer(apercu)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    for url, path in [(URL, COG), (URL_ECOLES, IPS)]:
        assert deposer(envoyer, path, url=url)["Location"].startswith(reverse("admin:login"))
    assert envoyer(url_confirmer(apercu))["Location"].startswith(reverse("admin:login"))

    assert list(ImportFichier.objects.all()) == [apercu]
    assert list(Commune.objects.values_list("code_insee", flat=True)) == communes


def test_les_imports_sont_en_lecture_seule(client, envoyer):
    """The runs are listed, never added, changed or deleted in the admin, even by a superuser."""
    client.force_login(UserFactory(email="admin@ac-montpellier.fr", is_staff=True, is_superuser=True))
    deposer(envoyer, COG)
    apercu = ImportFichier.objects.get()

    assert "cog_communes_aude.csv" in client.get(LISTE).content.decode()
    assert client.get(reverse("admin:collectivites_importfichier_add")).status_code == 403
    assert client.get(reverse("admin:collectivites_importfichier_delete", args=[apercu.pk])).status_code == 403
    page = client.get(page_de(apercu)).content.decode()
    assert 'name="_save"' not in page
    assert client.post(page_de(apercu), {"etat": "echec"}).status_code == 200
    apercu.refresh_from_db()
    assert apercu.etat == ImportFichier.Etat.TERMINE


def test_un_agent_ne_suit_que_les_imports_qu_il_peut_lancer(client, envoyer):
    """An agent of the schools sees the schools' runs, not the communes' (a 404), without a right on the runs."""
    client.force_login(UserFactory(email="admin@ac-montpellier.fr", is_staff=True, is_superuser=True))
    deposer(envoyer, COG)
    deposer(envoyer, IPS, url=URL_ECOLES)
    communes, ecoles = ImportFichier.objects.order_by("pk")
    client.get(LISTE)  # shows (and so clears) the superuser's messages, which name the files
    client.force_login(agent_avec("ecoles@ac-montpellier.fr", "ecoles", ["view_ecole", "add_ecole", "change_ecole"]))

    liste = client.get(LISTE).content.decode()

    assert "ips-ecoles-aude-2021-2022.csv" in liste
    assert "cog_communes_aude.csv" not in liste
    assert client.get(page_de(ecoles)).status_code == 200
    assert client.get(page_de(communes)).status_code == 404
    assert client.post(url_confirmer(communes)).status_code == 403
    assert client.get(url_confirmer(ecoles)).status_code == 405
    assert not ImportFichier.objects.filter(apercu=communes).exists()


@pytest.mark.parametrize("nombre", [3, 12])
def test_liste_des_imports_nombre_de_requetes_fixe(client, agent, nombre, django_assert_num_queries):
    """The runs' changelist costs the same number of queries whatever the number of runs."""
    for n in range(nombre):
        ImportFichier.objects.create(
            type=ImportFichier.Type.COMMUNES, fichier=f"imports/{n}.csv", nom_fichier=f"{n}.csv", lance_par=agent
        )

    # Session, user and its two kinds of permissions; the two counts, the page of runs with who launched them; the
    # date hierarchy's bounds and days.
    with django_assert_num_queries(10):  # and the agent's académies (his groups)
        response = client.get(LISTE)

    assert response.status_code == 200
    assert response.content.decode().count("field-etat") == nombre
