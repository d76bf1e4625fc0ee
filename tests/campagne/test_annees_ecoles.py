"""Schools across years: a school closed since is left out of next year's draft and reported; a school opened in a
commune that has a convention is proposed to its collectivité (report, portal, admin filter), never added."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from collectivites.models import User
from conventions.annees import preparer_annee
from conventions.models import AnneeScolaire, Convention, Inscription
from ecoles.importers import importer_ecoles
from ecoles.models import Ecole
from tests.factories import AnneeScolaireFactory, CollectiviteFactory, CommuneFactory, ConventionFactory, UserFactory

pytestmark = pytest.mark.django_db

# CONSTRUCTED rows in the Annuaire de l'éducation's column names, with a date_fermeture column: Mouthoumet's real
# school 0110422Z stays open, a second school of Mouthoumet closes on 7 July 2022, a third opens at the rentrée
# 2022; Bages' school (another signed convention) does not change. UAIs other than 0110422Z are made up.
ANNUAIRE_2022 = """\
Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Statut_public_prive;Code_commune;Nom_commune;\
code_nature;Ecole_maternelle;Ecole_elementaire;etat;date_ouverture;date_fermeture
0110422Z;Ecole primaire;Ecole;Public;11260;Mouthoumet;151;1;1;OUVERT;1965-05-01;
0110901V;Ecole maternelle du Lac;Ecole;Public;11260;Mouthoumet;101;1;0;A FERMER;1980-09-01;2022-07-07
0110902W;Ecole élémentaire des Corbières;Ecole;Public;11260;Mouthoumet;151;0;1;OUVERT;2022-09-01;
0110099Y;Ecole élémentaire Céline Pinaud;Ecole;Public;11024;Bages;151;0;1;OUVERT;1965-05-01;
"""


@pytest.fixture
def annee_2021(tmp_path):
    """2021-2022: Mouthoumet signed for its two schools, Bages for its one; the files of 2021 are imported."""
    annee = AnneeScolaireFactory(libelle="2021-2022")
    lignes = ANNUAIRE_2022.splitlines()
    fichier_2021 = tmp_path / "annuaire-2021.csv"
    # As the annuaire read a year earlier: the closing school still open, the new one not there yet.
    fichier_2021.write_text(
        "\n".join([lignes[0], lignes[1], lignes[2].replace("A FERMER", "OUVERT").replace("2022-07-07", ""), lignes[4]])
    )
    assert importer_ecoles(fichier_2021).creees == 3
    mouthoumet = CollectiviteFactory(commune=CommuneFactory(code_insee="11260"), nom="Commune de Mouthoumet")
    bages = CollectiviteFactory(commune=CommuneFactory(code_insee="11024"), nom="Commune de Bages")
    ConventionFactory(
        annee=annee, collectivite=mouthoumet, signee=True, ecoles=list(Ecole.objects.filter(commune=mouthoumet.commune))
    )
    ConventionFactory(annee=annee, collectivite=bages, signee=True, ecoles=[Ecole.objects.get(uai="0110099Y")])
    fichier_2022 = tmp_path / "annuaire-2022.csv"
    fichier_2022.write_text(ANNUAIRE_2022)
    return annee, fichier_2022, mouthoumet, bages


def test_preparer_l_annee_apres_une_fermeture_et_une_ouverture(annee_2021):
    """The closed school leaves, the opened one is proposed and not registered; Bages is renewed as it was; nothing
    else is created or changed."""
    annee, fichier_2022, mouthoumet, bages = annee_2021
    rapport_import = importer_ecoles(fichier_2022)
    assert (rapport_import.creees, rapport_import.modifiees, rapport_import.fermees) == (1, 1, 1)
    ecoles_avant = list(Ecole.objects.values().order_by("uai"))
    inscriptions_avant = Inscription.objects.count()

    nouvelle_annee, creee, rapports = preparer_annee("2022-2023", annee)

    assert creee
    par_collectivite = {r.source.collectivite: r for r in rapports}
    assert set(par_collectivite) == {mouthoumet, bages}
    r_mouthoumet, r_bages = par_collectivite[mouthoumet], par_collectivite[bages]
    assert [e.uai for e in r_mouthoumet.reconduites] == ["0110422Z"]
    assert [(e.uai, raison) for e, raison in r_mouthoumet.retirees] == [("0110901V", "fermée le 7 juillet 2022")]
    assert [e.uai for e in r_mouthoumet.proposees] == [e.uai for e in r_mouthoumet.nouvelles] == ["0110902W"]
    assert r_mouthoumet.resume() == (
        f"{r_mouthoumet.nouvelle.reference} créée : 1 école reconduite ; 1 école retirée (0110901V fermée le "
        "7 juillet 2022) ; 1 école à proposer (0110902W Ecole élémentaire des Corbières : nouvelle école dans la "
        "commune)."
    )
    assert (r_bages.reconduites, r_bages.retirees, r_bages.proposees) == ([Ecole.objects.get(uai="0110099Y")], [], [])
    # Nothing else: two drafts, the new school in none of them, the schools untouched.
    assert Convention.objects.filter(annee=nouvelle_annee).count() == 2
    assert Inscription.objects.count() == inscriptions_avant + 2
    assert not Inscription.objects.filter(ecole__uai="0110902W").exists()
    assert list(Ecole.objects.values().order_by("uai")) == ecoles_avant


def test_simulation_de_la_preparation_ne_change_rien(annee_2021):
    """prepare_annee --dry-run prints the same report and leaves the database as it was."""
    _, fichier_2022, _, _ = annee_2021
    importer_ecoles(fichier_2022)
    avant = Convention.objects.count(), Inscription.objects.count(), AnneeScolaire.objects.count()
    out = StringIO()
    call_command("prepare_annee", "2022-2023", "--from", "2021-2022", "--dry-run", stdout=out)
    texte = out.getvalue()
    assert "1 école retirée (0110901V fermée le 7 juillet 2022)" in texte
    assert "0110902W Ecole élémentaire des Corbières : nouvelle école dans la commune" in texte
    assert texte.rstrip().endswith("Simulation : rien n'a été enregistré.")
    assert (Convention.objects.count(), Inscription.objects.count(), AnneeScolaire.objects.count()) == avant


def test_la_nouvelle_ecole_est_proposee_sur_le_portail_et_filtree_dans_l_admin(annee_2021, client, agent_gestion):
    """The portal shows « Nouvelle école dans votre commune » on Mouthoumet's draft (and Bages sees no such page of
    Mouthoumet's); the admin's filter lists that draft only."""
    annee, fichier_2022, mouthoumet, bages = annee_2021
    importer_ecoles(fichier_2022)
    _, _, rapports = preparer_annee("2022-2023", annee)
    brouillon = next(r.nouvelle for r in rapports if r.source.collectivite == mouthoumet)

    maire = UserFactory(email="maire@mouthoumet.fr", collectivite=mouthoumet, role=User.Role.REPRESENTANT)
    client.force_login(maire)
    page = client.get(reverse("conventions:detail", args=[brouillon.pk])).content.decode()
    assert "Nouvelle école dans votre commune" in page
    assert "0110902W – Ecole élémentaire des Corbières (Mouthoumet), ouverte le 1er septembre 2022" in page
    client.force_login(UserFactory(email="maire@bages.fr", collectivite=bages, role=User.Role.REPRESENTANT))
    assert client.get(reverse("conventions:detail", args=[brouillon.pk])).status_code == 404

    assert list(Convention.objects.avec_ecoles_nouvelles()) == [brouillon]
    client.force_login(agent_gestion)
    liste = client.get(reverse("admin:conventions_convention_changelist"), {"nouvelle_ecole": "oui"})
    assert list(liste.context["cl"].result_list) == [brouillon]


def test_un_groupement_voit_les_nouvelles_ecoles_de_ses_communes():
    """For a grouping without a commune named, the new schools of its member communes are proposed."""
    annee = AnneeScolaireFactory(libelle="2022-2023")
    groupement = CollectiviteFactory(groupement=True)
    commune = CommuneFactory(code_insee="11260", groupement=groupement)
    convention = ConventionFactory(annee=annee, collectivite=groupement)
    assert not Convention.objects.avec_ecoles_nouvelles().exists()
    ecole = Ecole.objects.create(
        uai="0110902W", nom="ECOLE", nature="primaire", commune=commune, date_ouverture=datetime.date(2021, 9, 2)
    )
    assert list(Convention.objects.avec_ecoles_nouvelles()) == [convention]
    assert convention.ecoles_a_proposer() == [(ecole, True)]
