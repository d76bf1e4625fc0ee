"""The schools import in the admin: upload, preview (nothing written), confirm (written, in the agent's name)."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ecoles.models import Ecole
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
IPS = DATA / "ministere" / "ips-ecoles-aude-2021-2022.csv"
ABIMEES = DATA / "ecoles_abimees.csv"
URL = reverse("admin:ecoles_ecole_importer")
URL_CONFIRMER = reverse("admin:ecoles_ecole_importer_confirmer")


@pytest.fixture
def agent(client):
    """A rectorat agent allowed to add and change schools, logged in."""
    user = UserFactory(email="referentiel@ac-montpellier.fr", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="ecoles", codename__in=["view_ecole", "add_ecole", "change_ecole"]
        )
    )
    client.force_login(user)
    return user


def deposer(client, path: Path, **options):
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
    return client.post(URL, {"fichier": upload, **options})


def fichiers_en_attente() -> list[str]:
    try:
        return default_storage.listdir("imports/ecoles")[1]
    except FileNotFoundError:
        return []


def test_liste_des_ecoles_propose_l_import(client, agent):
    """The schools' changelist links to the import, for those who may import only."""
    response = client.get(reverse("admin:ecoles_ecole_changelist"))
    assert URL in response.content.decode()

    agent.user_permissions.remove(Permission.objects.get(codename="add_ecole"))
    response = client.get(reverse("admin:ecoles_ecole_changelist"))
    assert URL not in response.content.decode()


def test_apercu_puis_confirmation(client, agent):
    """The preview counts 229 schools and writes nothing; the confirmation writes them in the agent's name."""
    apercu = deposer(client, IPS)

    assert apercu.status_code == 200
    page = apercu.content.decode()
    assert "Aperçu : rien n'est encore enregistré" in page
    assert '<th scope="row">Écoles à créer</th><td>229</td>' in page
    assert "Confirmer l'import" in page
    assert not Ecole.objects.exists()
    confirmation = apercu.context["confirmation"]

    rapport = client.post(URL_CONFIRMER, {**confirmation.initial})

    assert rapport.status_code == 200
    assert Ecole.objects.count() == 229
    assert Ecole.objects.filter(secteur=Ecole.Secteur.PRIVE).count() == 14
    historique = Ecole.objects.get(uai="0110422Z").history.first()
    assert historique.history_user == agent
    assert historique.history_change_reason == "Import IPS des écoles (ips-ecoles-aude-2021-2022.csv)"
    assert '<th scope="row">Écoles créées</th><td>229</td>' in rapport.content.decode()
    assert "Import terminé" in rapport.content.decode()
    assert fichiers_en_attente() == []


def test_apercu_d_un_fichier_abime_liste_les_rejets_sans_bouton(client, agent):
    """A file with rejected rows shows each line, column, value and reason, and offers no confirmation."""
    response = deposer(client, ABIMEES)

    page = response.content.decode()
    assert "en l'état, l'import n'enregistrerait rien" in page
    assert "<td>4</td><td>SIREN_SIRET</td><td>2,17003E+13</td>" in page
    assert "Confirmer l'import" not in page
    assert not Ecole.objects.exists()


def test_ignorer_les_lignes_invalides_depuis_l_admin(client, agent):
    """With "ignorer les lignes invalides", the valid rows can be confirmed and imported."""
    apercu = deposer(client, ABIMEES, ignorer_invalides="on", departement="")

    client.post(URL_CONFIRMER, {**apercu.context["confirmation"].initial})

    assert set(Ecole.objects.values_list("uai", flat=True)) == {"0110901V", "6200001G", "9710001Z"}


def test_fichier_illisible_message_sur_le_formulaire(client, agent):
    """A spreadsheet instead of a CSV: the form says so, and no file is kept."""
    upload = SimpleUploadedFile("ecoles.xlsx", b"PK\x03\x04 classeur", content_type="application/vnd.ms-excel")

    response = client.post(URL, {"fichier": upload})

    assert response.status_code == 200
    assert "est un classeur (Excel, LibreOffice), pas un fichier CSV" in response.content.decode()
    assert fichiers_en_attente() == []


def test_departement_inconnu_refuse_par_le_formulaire(client, agent):
    """An unknown département is a form error, before anything is read."""
    response = deposer(client, IPS, departement="20")

    assert "Département « 20 » inconnu" in response.content.decode()


def test_jeton_invalide_ou_perime(client, agent):
    """A forged or expired token is a 404, never a path into the storage."""
    for jeton in ["../../settings", "0" * 32]:
        response = client.post(URL_CONFIRMER, {"jeton": jeton, "nom_fichier": "x.csv"})
        assert response.status_code == 404


def test_agent_sans_droit_sur_les_ecoles(client):
    """Staff without the right to add and change schools cannot import."""
    user = UserFactory(email="lecteur@ac-montpellier.fr", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="ecoles", codename="view_ecole"))
    client.force_login(user)

    assert client.get(URL).status_code == 403
    assert deposer(client, IPS).status_code == 403
    assert not Ecole.objects.exists()
