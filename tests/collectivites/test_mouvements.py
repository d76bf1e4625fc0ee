"""INSEE's « mouvements des communes »: schools, collectivités and next year's conventions follow a commune into its
commune nouvelle; a convention already sent keeps its commune and its PDF; a report lists every change."""

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from collectivites.importers import importer_communes
from collectivites.models import Collectivite, Commune
from conventions.annees import preparer_annee
from conventions.models import Convention
from conventions.pdf import convention_pdf
from conventions.services import envoyer_pour_signature
from ecoles.models import Ecole
from tests.conventions.pdf_support import frozen_bytes, seed_convention
from tests.factories import AnneeScolaireFactory, CollectiviteFactory, CommuneFactory, ConventionFactory, EcoleFactory

pytestmark = pytest.mark.django_db

MOUVEMENTS = Path(__file__).parent / "data" / "mouvements_construits.csv"


@pytest.fixture
def territoire():
    """Mouthoumet's grouping sent its 2021-2022 convention (frozen PDF) and has a draft for 2022-2023; Montlaur is a
    commune with its own school and collectivité; Bages is only a commune."""
    envoyee = seed_convention(signee=False, date_signature=None, lieu_signature="")
    envoyer_pour_signature(envoyee)
    envoyee = Convention.objects.get(pk=envoyee.pk)
    mouthoumet = envoyee.commune
    brouillon = ConventionFactory(
        annee=AnneeScolaireFactory(libelle="2022-2023"),
        collectivite=envoyee.collectivite,
        commune=mouthoumet,
        ecoles=[Ecole.objects.get(uai="0110422Z")],
    )
    montlaur = CommuneFactory(code_insee="11251", nom="Montlaur")
    EcoleFactory(uai="0110901V", commune=montlaur)
    CommuneFactory(code_insee="11024", nom="Bages")
    return {"envoyee": envoyee, "brouillon": brouillon, "mouthoumet": mouthoumet, "montlaur": montlaur}


def test_fusion_deplace_les_ecoles_et_laisse_le_pdf_envoye_identique(territoire):
    """Mouthoumet merges into Val-de-Dagne: its school and the draft follow, the sent convention keeps Mouthoumet
    and its PDF byte for byte; the names change, the rétablissement creates its commune; the report says it all."""
    envoyee = territoire["envoyee"]
    pdf_avant = frozen_bytes(envoyee)

    rapport = importer_communes(MOUVEMENTS)

    assert (rapport.format, rapport.lignes_rejetees, rapport.applique) == ("mouvements des communes (INSEE)", 0, True)
    assert (rapport.creees, rapport.modifiees) == (1, 3)
    assert rapport.ignorees == {"Commune déléguée, associée ou arrondissement (TYPECOM autre que COM)": 2}
    val_de_dagne = Commune.objects.get(code_insee="11251")
    mouthoumet = Commune.objects.get(code_insee="11260")
    assert val_de_dagne.nom == "Val-de-Dagne"
    assert (mouthoumet.nom, mouthoumet.remplacee_par, str(mouthoumet.date_remplacement)) == (
        "Mouthoumet",
        val_de_dagne,
        "2023-01-01",
    )
    assert mouthoumet.actuelle == val_de_dagne
    assert Ecole.objects.get(uai="0110422Z").commune == val_de_dagne
    assert Ecole.objects.get(uai="0110422Z").academie == "11"
    assert Convention.objects.get(pk=territoire["brouillon"].pk).commune == val_de_dagne
    assert Commune.objects.get(code_insee="11024").nom == "Bages-sur-Mer"
    assert Commune.objects.get(code_insee="11298").nom == "Pradelles-en-Val"
    assert val_de_dagne.groupement == envoyee.collectivite  # Mouthoumet's grouping, Montlaur having none

    envoyee = Convention.objects.get(pk=envoyee.pk)
    assert envoyee.commune == mouthoumet
    assert frozen_bytes(envoyee) == pdf_avant
    assert convention_pdf(envoyee)[2] == pdf_avant
    assert hashlib.sha256(pdf_avant).hexdigest() == envoyee.document_sha256

    assert rapport.modifications == [
        "11251 : nom « Montlaur » → « Val-de-Dagne » (création de commune nouvelle, 01/01/2023)",
        "Mouthoumet (11260) → Val-de-Dagne (11251) : création de commune nouvelle, 01/01/2023",
        "11251 : membre du groupement de Mouthoumet",
        "1 école de Mouthoumet → Val-de-Dagne : 0110422Z",
        f"Convention {territoire['brouillon'].reference} (brouillon) : commune Mouthoumet (11260) → Val-de-Dagne "
        "(11251)",
        "1 convention déjà envoyée ou signée garde Mouthoumet (11260), telle qu'envoyée.",
        "11024 : nom « Bages » → « Bages-sur-Mer » (changement de nom, 01/03/2023)",
        "11298 : commune « Pradelles-en-Val » créée (rétablissement, 01/06/2023)",
    ]


def test_deuxieme_application_ne_change_rien(territoire):
    importer_communes(MOUVEMENTS)
    avant = list(Commune.objects.values().order_by("code_insee")), Commune.history.count(), Ecole.history.count()
    rapport = importer_communes(MOUVEMENTS)
    assert (rapport.creees, rapport.modifiees, rapport.modifications) == (0, 0, [])
    apres = list(Commune.objects.values().order_by("code_insee")), Commune.history.count(), Ecole.history.count()
    assert apres == avant


def test_la_collectivite_suit_sa_commune_et_l_annee_suivante_aussi():
    """A commune's collectivité follows it into the commune nouvelle; next year's convention, prepared from a
    convention signed for the old commune, names the new one."""
    mouthoumet = CommuneFactory(code_insee="11260", nom="Mouthoumet")
    collectivite = CollectiviteFactory(commune=mouthoumet, nom="Commune de Mouthoumet")
    groupement = CollectiviteFactory(groupement=True)
    annee = AnneeScolaireFactory(libelle="2022-2023")
    ConventionFactory(annee=annee, collectivite=groupement, commune=mouthoumet, signee=True, ecoles=1)

    rapport = importer_communes(MOUVEMENTS)

    val_de_dagne = Commune.objects.get(code_insee="11251")
    assert Collectivite.objects.get(pk=collectivite.pk).commune == val_de_dagne
    assert (
        "La collectivité « Commune de Mouthoumet » suit sa commune dans Val-de-Dagne (11251) : vérifiez son nom, son "
        "SIREN et son représentant." in rapport.modifications
    )
    _, _, [reconduction] = preparer_annee("2023-2024", annee)
    assert reconduction.nouvelle.commune == val_de_dagne
    assert reconduction.nouvelle.nb_ecoles == 1


def test_simulation_et_fichier_refuse_ne_changent_rien(territoire, tmp_path):
    """--dry-run reports what the file would do; a damaged row refuses the whole file, naming its line."""
    avant = list(Commune.objects.values().order_by("code_insee")), list(Ecole.objects.values().order_by("uai"))
    out = StringIO()
    call_command("import_communes", str(MOUVEMENTS), "--dry-run", stdout=out)
    assert "Mouthoumet (11260) → Val-de-Dagne (11251) : création de commune nouvelle, 01/01/2023" in out.getvalue()
    assert "1 école de Mouthoumet → Val-de-Dagne : 0110422Z" in out.getvalue()

    abime = tmp_path / "mouvements.csv"
    lignes = MOUVEMENTS.read_text().splitlines()
    abime.write_text("\n".join([*lignes[:3], lignes[3].replace("2023-01-01", "01/01/2023"), *lignes[4:]]))
    rapport = importer_communes(abime)
    assert rapport.annule
    assert rapport.motif_annulation().endswith(
        "Première erreur : Ligne 4, colonne « DATE_EFF », valeur « 01/01/2023 » : date au format jj/mm/aaaa d'un "
        "tableur : le fichier d'origine l'écrit aaaa-mm-jj (« 2023-01-01 »). Reprenez le fichier d'origine."
    )
    assert (
        list(Commune.objects.values().order_by("code_insee")),
        list(Ecole.objects.values().order_by("uai")),
    ) == avant


def test_une_commune_retablie_apres_sa_fusion_redevient_une_commune(tmp_path):
    """Merged in 2019, re-established in 2023 (MOD 21): the commune is no longer replaced, and follows no one."""
    CommuneFactory(code_insee="11251", nom="Montlaur")
    CommuneFactory(code_insee="11298", nom="Pradelles-en-Val")
    entete = MOUVEMENTS.read_text().splitlines()[0]
    fichier = tmp_path / "mouvements.csv"
    fichier.write_text(
        f"{entete}\n"
        "31,2019-01-01,COM,11298,0,PRADELLES EN VAL,Pradelles-en-Val,Pradelles-en-Val,COM,11251,0,MONTLAUR,"
        "Montlaur,Montlaur\n"
        "21,2023-01-01,COM,11251,0,MONTLAUR,Montlaur,Montlaur,COM,11298,0,PRADELLES EN VAL,Pradelles-en-Val,"
        "Pradelles-en-Val\n"
    )

    rapport = importer_communes(fichier)

    pradelles = Commune.objects.get(code_insee="11298")
    assert (pradelles.remplacee_par, pradelles.actuelle) == (None, pradelles)
    assert rapport.modifications[-1] == (
        "Pradelles-en-Val (11298) : de nouveau une commune (rétablissement, 01/01/2023), après son remplacement"
    )
