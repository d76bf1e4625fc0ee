"""The schools import in the admin: upload, preview run in the background (nothing written), confirm (written in the
agent's name, recorded with its report), and a bad file that changes nothing and names its line."""

import html
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collectivites.models import GROUPE_NATIONAL, ImportFichier
from ecoles.importers import IMPORT_ECOLES, importer_ecoles
from ecoles.models import Ecole
from tests.factories import UserFactory, valid_uai

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
IPS = DATA / "ministere" / "ips-ecoles-aude-2021-2022.csv"
ABIMEES = DATA / "ecoles_abimees.csv"
URL = reverse("admin:ecoles_ecole_importer")
ENTETE = (
    "Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Statut_public_prive;Code_postal;"
    "Code_commune;Nom_commune;Code_departement;Ecole_maternelle;Ecole_elementaire;etat;code_nature;libelle_nature"
)


def page_de(import_: ImportFichier) -> str:
    return reverse("admin:collectivites_importfichier_change", args=[import_.pk])


def url_confirmer(import_: ImportFichier) -> str:
    return reverse("admin:collectivites_importfichier_confirmer", args=[import_.pk])


@pytest.fixture
def agent(client):
    """A rectorat agent of the national level (the files span académies) allowed to add and change schools (and
    nothing on the runs themselves), logged in."""
    user = UserFactory(email="referentiel@ac-montpellier.fr", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=GROUPE_NATIONAL)[0])
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="ecoles", codename__in=["view_ecole", "add_ecole", "change_ecole"]
        )
    )
    client.force_login(user)
    return user


@pytest.fixture
def deposer(client, django_capture_on_commit_callbacks):
    """Uploads a file; the background task runs once the upload is committed (in-process: no broker in tests)."""

    def deposer(path: Path, contenu: bytes | None = None, **options):
        upload = SimpleUploadedFile(path.name, contenu if contenu is not None else path.read_bytes(), "text/csv")
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, {"fichier": upload, **options})

    return deposer


@pytest.fixture
def confirmer(client, django_capture_on_commit_callbacks):
    def confirmer(apercu: ImportFichier):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url_confirmer(apercu))

    return confirmer


def test_liste_des_ecoles_propose_l_import(client, agent):
    """The schools' changelist links to the import, for those who may import only."""
    response = client.get(reverse("admin:ecoles_ecole_changelist"))
    assert URL in response.content.decode()

    agent.user_permissions.remove(Permission.objects.get(codename="add_ecole"))
    response = client.get(reverse("admin:ecoles_ecole_changelist"))
    assert URL not in response.content.decode()


def test_apercu_puis_confirmation(client, agent, deposer, confirmer):
    """The upload is stored and previewed in the background (229 to create, nothing written); the confirmation runs
    the same stored file for real, in the agent's name, and both runs are recorded with their report."""
    response = deposer(IPS)

    apercu = ImportFichier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page_de(apercu)
    assert (apercu.type, apercu.simulation, apercu.etat, apercu.lance_par, apercu.nom_fichier) == (
        IMPORT_ECOLES.type,
        True,
        ImportFichier.Etat.TERMINE,
        agent,
        "ips-ecoles-aude-2021-2022.csv",
    )
    with default_storage.open(apercu.fichier.name, "rb") as stocke:
        assert stocke.read() == IPS.read_bytes()
    assert apercu.rapport["creees"] == 229
    page = client.get(page_de(apercu)).content.decode()
    assert "Aperçu : rien n'est encore enregistré" in page
    assert '<th scope="row">Écoles à créer</th><td>229</td>' in page
    assert "Confirmer l'import" in page
    assert 'http-equiv="refresh"' not in page
    assert not Ecole.objects.exists()

    response = confirmer(apercu)

    import_ = ImportFichier.objects.get(apercu=apercu)
    assert response["Location"] == page_de(import_)
    assert (import_.simulation, import_.etat, import_.fichier.name, import_.lance_par) == (
        False,
        ImportFichier.Etat.TERMINE,
        apercu.fichier.name,
        agent,
    )
    assert Ecole.objects.count() == 229
    assert Ecole.objects.filter(secteur=Ecole.Secteur.PRIVE).count() == 14
    historique = Ecole.objects.get(uai="0110422Z").history.first()
    assert historique.history_user == agent
    assert historique.history_change_reason == "Import IPS des écoles (ips-ecoles-aude-2021-2022.csv)"
    page = client.get(page_de(import_)).content.decode()
    assert '<th scope="row">Écoles créées</th><td>229</td>' in page
    assert "Import terminé : les changements sont enregistrés" in page
    assert f"aperçu n° {apercu.pk}" in page
    page = client.get(page_de(apercu)).content.decode()
    assert f"import n° {import_.pk}" in page
    assert "Confirmer l'import" not in page


def test_le_rapport_compte_les_ecoles_creees_modifiees_et_fermees(client, agent, deposer, confirmer):
    """Next year's annuaire: one school closes, one is renamed, one is new; the page counts each, before and after."""
    importer_ecoles(IPS)
    renommee = Ecole.objects.exclude(uai="0110422Z").select_related("commune").order_by("uai").first()
    nouvelle = valid_uai(9999)
    lignes = [
        "0110422Z;Ecole primaire;Ecole;Public;11330;11260;Mouthoumet;011;1;1;A FERMER;151;ECOLE DE NIVEAU ELEMENTAIRE",
        f"{renommee.uai};ECOLE RENOMMEE;Ecole;Public;{renommee.code_postal};{renommee.commune.code_insee};"
        f"{renommee.commune.nom};011;1;1;OUVERT;151;ECOLE DE NIVEAU ELEMENTAIRE",
        f"{nouvelle};Ecole maternelle nouvelle;Ecole;Public;11200;11203;Lézignan-Corbières;011;1;0;OUVERT;101;"
        "ECOLE MATERNELLE",
    ]
    contenu = "\n".join([ENTETE, *lignes]).encode()

    deposer(Path("annuaire-2022.csv"), contenu)

    apercu = ImportFichier.objects.get()
    page = html.unescape(client.get(page_de(apercu)).content.decode())
    assert '<th scope="row">Écoles à créer</th><td>1</td>' in page
    assert '<th scope="row">Écoles à modifier</th><td>2</td>' in page
    assert '<th scope="row">Écoles à passer à l\'état « à fermer » ou « fermée »</th><td>1</td>' in page

    confirmer(apercu)

    page = html.unescape(client.get(page_de(ImportFichier.objects.get(apercu=apercu))).content.decode())
    assert '<th scope="row">Écoles créées</th><td>1</td>' in page
    assert '<th scope="row">Écoles modifiées</th><td>2</td>' in page
    assert '<th scope="row">Écoles passées à l\'état « à fermer » ou « fermée »</th><td>1</td>' in page
    assert Ecole.objects.get(uai="0110422Z").etat == Ecole.Etat.A_FERMER
    assert Ecole.objects.get(uai=renommee.uai).nom == "ECOLE RENOMMEE"
    assert Ecole.objects.get(uai=nouvelle).nature == Ecole.Nature.MATERNELLE


def test_fichier_abime_echoue_en_nommant_la_ligne_et_ne_change_rien(client, agent, deposer, confirmer):
    """A file with rejected rows: the run fails with a French message naming the first line, the page lists each
    line, column, value and reason, nothing is written and the preview cannot be confirmed."""
    importer_ecoles(IPS)
    avant = list(Ecole.objects.values().order_by("uai")), Ecole.history.count()

    deposer(ABIMEES)

    apercu = ImportFichier.objects.get()
    assert apercu.etat == ImportFichier.Etat.ECHEC
    assert apercu.erreur.startswith(
        "Import annulé, rien n'a été enregistré : le fichier contient des lignes rejetées (10). Première erreur : "
        "Ligne 3, colonne « Identifiant_de_l_etablissement », valeur « 0110902A » : Le code UAI « 0110902A » est "
        "invalide : la lettre de contrôle devrait être « W »."
    )
    page = client.get(page_de(apercu)).content.decode()
    assert "Ligne 3, colonne « Identifiant_de_l_etablissement »" in page
    assert "<td>4</td><td>SIREN_SIRET</td><td>2,17003E+13</td>" in page
    assert "Confirmer l'import" not in page

    response = client.post(url_confirmer(apercu), follow=True)

    assert "ne peut pas être confirmé" in response.content.decode()
    assert not ImportFichier.objects.filter(apercu=apercu).exists()
    assert (list(Ecole.objects.values().order_by("uai")), Ecole.history.count()) == avant


def test_ignorer_les_lignes_invalides_depuis_l_admin(client, agent, deposer, confirmer):
    """With "ignorer les lignes invalides", the valid rows can be confirmed and imported."""
    deposer(ABIMEES, ignorer_invalides="on", departement="")
    apercu = ImportFichier.objects.get()
    assert (apercu.etat, apercu.options["ignorer_invalides"]) == (ImportFichier.Etat.TERMINE, True)

    confirmer(apercu)

    assert set(Ecole.objects.values_list("uai", flat=True)) == {"0110901V", "6200001G", "9710001Z"}


def test_fichier_illisible_echec_explique(client, agent, deposer):
    """A spreadsheet instead of a CSV: the run fails and its page says why."""
    deposer(Path("ecoles.xlsx"), b"PK\x03\x04 classeur")

    apercu = ImportFichier.objects.get()
    assert apercu.etat == ImportFichier.Etat.ECHEC
    assert "est un classeur (Excel, LibreOffice), pas un fichier CSV" in client.get(page_de(apercu)).content.decode()
    assert not Ecole.objects.exists()


def test_departement_et_academie_inconnus_refuses_par_le_formulaire(agent, deposer):
    """An unknown département or académie is a form error, before anything is stored or queued."""
    response = deposer(IPS, departement="20", academie="99")

    page = response.content.decode()
    assert "Département « 20 » inconnu" in page
    assert "Académie « 99 » inconnue" in page
    assert not ImportFichier.objects.exists()


def test_options_transmises_a_l_import(client, agent, deposer):
    """The département chosen on the form filters the background run as it filters the command line."""
    deposer(IPS, departement="11", academie="Montpellier")

    apercu = ImportFichier.objects.get()
    assert apercu.options == {"departement": "11", "ignorer_invalides": False, "academie": "11"}
    assert apercu.rapport["creees"] == 229


def test_page_d_un_import_en_attente_se_rafraichit(client, agent, deposer):
    """While the run waits for a worker, its page says so and refreshes itself."""
    upload = SimpleUploadedFile(IPS.name, IPS.read_bytes(), "text/csv")
    client.post(URL, {"fichier": upload})  # the commit never comes in this test: the task is not run
    apercu = ImportFichier.objects.get()

    page = client.get(page_de(apercu)).content.decode()

    assert apercu.etat == ImportFichier.Etat.EN_ATTENTE
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "En attente" in page
    assert "Confirmer l'import" not in page


def test_agent_sans_droit_sur_les_ecoles(client, deposer):
    """Staff without the right to add and change schools cannot import, nor follow the schools' runs."""
    autre = UserFactory(email="autre@ac-montpellier.fr", is_staff=True, is_superuser=True)
    client.force_login(autre)
    deposer(IPS)
    apercu = ImportFichier.objects.get()
    user = UserFactory(email="lecteur@ac-montpellier.fr", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="ecoles", codename="view_ecole"))
    client.force_login(user)

    assert client.get(URL).status_code == 403
    assert deposer(IPS).status_code == 403
    assert client.get(page_de(apercu)).status_code == 403
    assert client.post(url_confirmer(apercu)).status_code == 403
    assert ImportFichier.objects.count() == 1
    assert not Ecole.objects.exists()


def test_rien_a_importer_rien_a_confirmer(client, agent, deposer):
    """A file the database already matches: the preview says there is nothing to import and cannot be confirmed."""
    importer_ecoles(IPS)

    deposer(IPS)

    apercu = ImportFichier.objects.get()
    page = client.get(page_de(apercu)).content.decode()
    assert apercu.etat == ImportFichier.Etat.TERMINE
    assert "Rien à importer : le fichier ne change rien." in page
    assert "Confirmer l'import" not in page
    client.post(url_confirmer(apercu))
    assert not ImportFichier.objects.filter(apercu=apercu).exists()
