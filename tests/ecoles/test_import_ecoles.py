"""The schools import: the Ministry's real files, idempotence, damaged rows, unreadable files, filters, report."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collectivites.models import Commune
from ecoles.importers import departement_of_uai, importer_ecoles
from ecoles.models import Ecole
from jobs.tabular import FichierIllisible
from tests.factories import CommuneFactory, EcoleFactory, valid_uai

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
ANNUAIRE = DATA / "ministere" / "annuaire-education-extrait.csv"
GEOLOCALISATION = DATA / "ministere" / "adresse-geolocalisation-extrait.csv"
IPS = DATA / "ministere" / "ips-ecoles-aude-2021-2022.csv"
ANCIEN_FORMAT = DATA / "annuaire_ancien_format.csv"
ABIMEES = DATA / "ecoles_abimees.csv"


def variante(tmp_path, source: Path, *remplacements: tuple[str, str], nom: str = "variante.csv") -> Path:
    """A copy of a real file with a few values changed, as next year's file would change them."""
    text = source.read_text(encoding="utf-8")
    for old, new in remplacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / nom
    path.write_text(text, encoding="utf-8")
    return path


def nombre_historique() -> int:
    return Ecole.history.count() + Commune.history.count()


# --- The real files --------------------------------------------------------------------------------------------


def test_annuaire_importe_ses_deux_ecoles():
    """The annuaire extract gives an open public élémentaire and maternelle, with address, SIRET and commune."""
    rapport = importer_ecoles(ANNUAIRE)

    assert (rapport.format, rapport.lues, rapport.creees, rapport.lignes_rejetees) == (
        "Annuaire de l'éducation",
        2,
        2,
        0,
    )
    doisneau = Ecole.objects.get(uai="0940176F")
    assert (doisneau.nom, doisneau.nature, doisneau.secteur, doisneau.etat) == (
        "Ecole élémentaire Robert Doisneau",
        Ecole.Nature.ELEMENTAIRE,
        Ecole.Secteur.PUBLIC,
        Ecole.Etat.OUVERTE,
    )
    assert (doisneau.adresse, doisneau.code_postal, doisneau.siret) == ("Allée du Puits", "94260", "21940034800195")
    assert (doisneau.commune.code_insee, doisneau.commune.nom, doisneau.commune.departement) == (
        "94034",
        "Fresnes",
        "94",
    )
    karl_marx = Ecole.objects.get(uai="0940400Z")
    assert (karl_marx.nature, karl_marx.commune.nom, karl_marx.code_postal) == (
        Ecole.Nature.MATERNELLE,
        "Villejuif",
        "94800",
    )
    assert rapport.communes_creees == 2


def test_ips_importe_les_229_ecoles_de_l_aude():
    """The IPS file gives the 229 Aude schools; its 14 "privé sous contrat" schools are private, Mouthoumet's primaire.

    The issue speaks of three private schools; the real file has fourteen, and the data wins.
    """
    rapport = importer_ecoles(IPS)

    assert (rapport.format, rapport.lues, rapport.creees, rapport.lignes_rejetees) == ("IPS des écoles", 229, 229, 0)
    assert Ecole.objects.filter(commune__departement="11").count() == 229
    privees = Ecole.objects.filter(secteur=Ecole.Secteur.PRIVE)
    assert privees.count() == 14
    assert set(privees.values_list("uai", flat=True)) >= {"0110768A", "0111027G", "0110775H"}
    assert Ecole.objects.get(uai="0111027G").nature == Ecole.Nature.ELEMENTAIRE  # "ECOLE ELEMENTAIRE PRIVEE …"
    mouthoumet = Ecole.objects.get(uai="0110422Z")
    assert (mouthoumet.nom, mouthoumet.nature, mouthoumet.secteur, mouthoumet.etat) == (
        "ECOLE PRIMAIRE",
        Ecole.Nature.PRIMAIRE,
        Ecole.Secteur.PUBLIC,
        Ecole.Etat.OUVERTE,
    )
    assert (mouthoumet.commune.code_insee, mouthoumet.commune.nom) == ("11260", "MOUTHOUMET")
    # One commune per INSEE code, whatever the number of its schools (Carcassonne has many).
    assert Commune.objects.filter(code_insee="11069").count() == 1
    assert rapport.communes_creees == Commune.objects.count()


def test_geolocalisation_saute_le_college():
    """The older file (UTF-8 with BOM, other column names) is read, and its collège is skipped as such."""
    rapport = importer_ecoles(GEOLOCALISATION)

    assert rapport.format == "Adresse et géolocalisation des établissements"
    assert (rapport.lues, rapport.creees, rapport.lignes_rejetees) == (1, 0, 0)
    assert rapport.ignorees == {"Pas une école du premier degré : COLLEGE": 1}
    assert not Ecole.objects.exists()
    assert not Commune.objects.exists()


def test_ancien_format_separe_par_des_virgules_avec_bom():
    """Column names with spaces ("Code postal"), commas, a BOM and a quoted comma are read by name."""
    rapport = importer_ecoles(ANCIEN_FORMAT)

    assert (rapport.creees, rapport.lignes_rejetees) == (2, 0)
    karl_marx = Ecole.objects.get(uai="0940400Z")
    assert (karl_marx.adresse, karl_marx.code_postal) == ("51 avenue Karl Marx, bâtiment B", "94800")


def test_departement_de_l_uai():
    """The UAI starts with the département: 011 → 11, 620 → 2A, 720 → 2B, 971 → 971."""
    assert [departement_of_uai(u) for u in ("0110422Z", "6200001G", "7200001N", "9710001Z")] == [
        "11",
        "2A",
        "2B",
        "971",
    ]


# --- Idempotence and updates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fichier", [ANNUAIRE, IPS, ANCIEN_FORMAT], ids=lambda p: p.name)
def test_second_import_ne_cree_ni_ne_change_rien(fichier):
    """Importing the same file again: nothing created, nothing changed, no new history record."""
    premier = importer_ecoles(fichier)
    avant = (list(Ecole.objects.values().order_by("uai")), nombre_historique(), Commune.objects.count())

    second = importer_ecoles(fichier)

    assert (second.creees, second.modifiees, second.communes_creees) == (0, 0, 0)
    assert second.inchangees == premier.creees
    assert (list(Ecole.objects.values().order_by("uai")), nombre_historique(), Commune.objects.count()) == avant


def test_ligne_relue_a_l_identique_sautee_sauf_apres_un_changement_ailleurs():
    """A row read again as it was imported is skipped (its fingerprint); a school changed in the admin since is
    compared again, and the file's values come back."""
    importer_ecoles(IPS)
    assert Ecole.objects.filter(empreinte_import="").count() == 0
    ecole = Ecole.objects.get(uai="0110422Z")
    ecole.nom = "NOM CHANGE DANS L'ADMINISTRATION"
    ecole.save()
    assert ecole.empreinte_import == ""

    rapport = importer_ecoles(IPS)

    assert (rapport.modifiees, rapport.inchangees) == (1, 228)
    ecole.refresh_from_db()
    assert (ecole.nom, ecole.empreinte_import != "") == ("ECOLE PRIMAIRE", True)


def test_meme_ecole_ecrite_autrement_ne_change_que_l_empreinte(tmp_path):
    """The same values written otherwise ("Public" for "public") are no change: no history, a new fingerprint."""
    importer_ecoles(IPS)
    empreinte = Ecole.objects.get(uai="0110422Z").empreinte_import
    historique = nombre_historique()

    rapport = importer_ecoles(variante(tmp_path, IPS, (";public;", ";Public;")))

    assert (rapport.modifiees, rapport.inchangees) == (0, 229)
    assert Ecole.objects.get(uai="0110422Z").empreinte_import not in ("", empreinte)
    assert nombre_historique() == historique


def test_nom_et_etat_changes_sont_mis_a_jour_et_historises(tmp_path):
    """A renamed school and one to close are updated; the history records both, naming the file."""
    importer_ecoles(ANNUAIRE)
    nouveau = variante(
        tmp_path,
        ANNUAIRE,
        ("Ecole élémentaire Robert Doisneau", "Ecole élémentaire Robert Doisneau et Willy Ronis"),
        (
            ";2026-05-27;OUVERT;MINISTERE DE L'EDUCATION NATIONALE;0;0;;101",
            ";2026-05-27;A FERMER;MINISTERE DE L'EDUCATION NATIONALE;0;0;;101",
        ),
        nom="annuaire-2027.csv",
    )

    rapport = importer_ecoles(nouveau)

    assert (rapport.creees, rapport.modifiees, rapport.inchangees) == (0, 2, 0)
    doisneau = Ecole.objects.get(uai="0940176F")
    assert doisneau.nom == "Ecole élémentaire Robert Doisneau et Willy Ronis"
    assert Ecole.objects.get(uai="0940400Z").etat == Ecole.Etat.A_FERMER
    derniere = doisneau.history.first()
    assert derniere.history_type == "~"
    assert derniere.history_change_reason == "Import Annuaire de l'éducation (annuaire-2027.csv)"
    assert derniere.prev_record.nom == "Ecole élémentaire Robert Doisneau"
    assert any("0940400Z : état « Ouverte » → « À fermer »" in m for m in rapport.modifications)


def test_nature_devinee_ne_remplace_pas_la_nature_connue():
    """A name that does not tell the nature ("ECOLE ARNAUD BELTRAME") does not overwrite the one the annuaire gave."""
    ecole = EcoleFactory(uai="0110880X", nature=Ecole.Nature.PRIMAIRE, commune=CommuneFactory(code_insee="11140"))

    importer_ecoles(IPS)

    ecole.refresh_from_db()
    assert (ecole.nom, ecole.nature) == ("ECOLE ARNAUD BELTRAME", Ecole.Nature.PRIMAIRE)


def test_ecoles_absentes_signalees_et_conservees():
    """A school of the file's département missing from the file is reported, not deleted; a closed one is not."""
    aude = CommuneFactory(code_insee="11999")
    disparue = EcoleFactory(uai=valid_uai(9999, "011"), commune=aude)
    fermee = EcoleFactory(uai=valid_uai(9998, "011"), commune=aude, fermee=True)
    ailleurs = EcoleFactory(uai=valid_uai(9999, "034"), commune=CommuneFactory(code_insee="34999"))

    rapport = importer_ecoles(IPS)

    assert rapport.absentes == [disparue.uai]
    assert rapport.nb_absentes == 1
    assert Ecole.objects.filter(pk__in=[disparue.pk, fermee.pk, ailleurs.pk]).count() == 3
    assert "Écoles absentes du fichier (conservées)" in dict(rapport.compteurs())


def test_meme_fichier_relu_lit_les_ecoles_une_fois_et_rien_d_autre():
    """A file read again unchanged reads the stored schools in one query, and neither the communes nor the schools
    again (the absent ones are found from that read): what keeps a national re-import as fast on PostgreSQL."""
    importer_ecoles(IPS)

    with CaptureQueriesContext(connection) as requetes:
        rapport = importer_ecoles(IPS)

    assert rapport.inchangees == 229
    lectures = [q["sql"] for q in requetes if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len([sql for sql in lectures if 'FROM "ecoles_ecole"' in sql]) == 1
    assert not [sql for sql in lectures if 'FROM "collectivites_commune"' in sql]


def test_simulation_ne_change_rien():
    """--dry-run checks and counts everything, and writes nothing."""
    rapport = importer_ecoles(IPS, simulation=True)

    assert (rapport.creees, rapport.applique) == (229, False)
    assert rapport.statut == "Simulation : rien n'a été enregistré."
    assert not Ecole.objects.exists()
    assert not Commune.objects.exists()
    assert nombre_historique() == 0


def test_nombre_de_requetes_ne_depend_pas_du_nombre_de_lignes():
    """Rows are compared in bulk: 229 schools cost the same queries as 2 (no query per row)."""
    with CaptureQueriesContext(connection) as deux:
        importer_ecoles(ANNUAIRE)
    with CaptureQueriesContext(connection) as deux_cent_vingt_neuf:
        importer_ecoles(IPS)

    assert len(deux_cent_vingt_neuf) == len(deux)
    assert len(deux) < 20


def test_premier_import_ne_relit_ses_ecoles_et_ses_communes_qu_au_debut(tmp_path):
    """The stored UAIs and communes are read once, at the start: a first import then reads nothing lot by lot (on
    PostgreSQL such a read would wait for the COPYs sent in the background); a stored school in the file is read."""

    def lectures(requetes) -> list[str]:
        return [r["sql"] for r in requetes if '"uai" IN (' in r["sql"] or '"code_insee" IN (' in r["sql"]]

    with CaptureQueriesContext(connection) as premier:
        rapport = importer_ecoles(IPS)
    assert (rapport.creees, rapport.communes_creees) == (229, Commune.objects.count())
    assert lectures(premier) == []

    renommee = variante(tmp_path, IPS, (";0110083F;ECOLE ELEMENTAIRE;", ";0110083F;ECOLE ELEMENTAIRE RENOMMEE;"))
    with CaptureQueriesContext(connection) as second:
        rapport = importer_ecoles(renommee)
    assert (rapport.modifiees, rapport.inchangees) == (1, 228)
    assert [("0110083F" in sql, "0110422Z" in sql) for sql in lectures(second)] == [(True, False)]


# --- Damaged rows ----------------------------------------------------------------------------------------------

REJETS_ATTENDUS = [
    (3, "Identifiant_de_l_etablissement", "0110902A", "la lettre de contrôle devrait être « W »"),
    (4, "SIREN_SIRET", "2,17003E+13", "le SIRET est écrit en notation scientifique"),
    (5, "Code_departement", "70", "le département a perdu son zéro initial (« 070 » attendu)"),
    (6, "date_ouverture", "01/02/1967", "date au format jj/mm/aaaa d'un tableur"),
    (7, "Code_commune", "20004", "Le code INSEE « 20004 » est invalide"),
    (8, "Code_departement", "034", "ce département ne correspond pas à l'UAI 0110906A"),
    (
        9,
        "Code_commune",
        "34172",
        "cette commune (département 34) a des écoles dont l'UAI commence par 034, alors que l'UAI 0110907B",
    ),
    (10, "Nom_etablissement", "", "valeur obligatoire manquante (nom de l'école)"),
    (10, "Statut_public_prive", "", "valeur obligatoire manquante (secteur public ou privé)"),
    (14, "Identifiant_de_l_etablissement", "0110901V", "UAI en double (déjà à la ligne 2)"),
    (15, "(ligne entière)", "", "7 champs au lieu de 17"),
]


@pytest.mark.parametrize(("ligne", "colonne", "valeur", "motif"), REJETS_ATTENDUS)
def test_chaque_ligne_abimee_a_son_message_precis(ligne, colonne, valeur, motif):
    """Each damaged row is reported with its line, its column as the file names it, its value and the reason."""
    rapport = importer_ecoles(ABIMEES)

    matching = [r for r in rapport.rejets if (r.ligne, r.colonne, r.valeur) == (ligne, colonne, valeur)]
    assert len(matching) == 1, rapport.rejets
    assert motif in matching[0].motif


def test_fichier_avec_des_rejets_n_importe_rien():
    """One rejected row and the whole file is refused: the database is as it was."""
    EcoleFactory(uai="0110422Z")
    avant = (list(Ecole.objects.values()), list(Commune.objects.values()), nombre_historique())

    rapport = importer_ecoles(ABIMEES)

    assert rapport.lignes_rejetees == 10
    assert len(rapport.rejets) == len(REJETS_ATTENDUS)
    assert [r.ligne for r in rapport.rejets] == sorted(r.ligne for r in rapport.rejets)
    assert (rapport.applique, rapport.annule) == (False, True)
    assert rapport.statut.startswith("Import annulé")
    assert (list(Ecole.objects.values()), list(Commune.objects.values()), nombre_historique()) == avant


def test_ignorer_les_invalides_importe_les_lignes_valides():
    """--skip-invalid imports the three valid rows (Corsica and Guadeloupe included) and reports the others."""
    rapport = importer_ecoles(ABIMEES, ignorer_invalides=True)

    assert (rapport.creees, rapport.lignes_rejetees, rapport.applique) == (3, 10, True)
    assert rapport.ignorees == {"Pas une école du premier degré : Collège": 1}
    assert set(Ecole.objects.values_list("uai", flat=True)) == {"0110901V", "6200001G", "9710001Z"}
    ajaccio = Ecole.objects.get(uai="6200001G").commune
    assert (ajaccio.code_insee, ajaccio.departement) == ("2A004", "2A")
    abymes = Ecole.objects.get(uai="9710001Z")
    assert (abymes.etat, abymes.commune.departement) == (Ecole.Etat.A_FERMER, "971")
    assert Ecole.objects.get(uai="0110901V").siret == "21110203300019"


# --- Unreadable files ------------------------------------------------------------------------------------------


def _ecrire(tmp_path, contenu: bytes, nom="ecoles.csv") -> Path:
    path = tmp_path / nom
    path.write_bytes(contenu)
    return path


@pytest.mark.parametrize(
    ("contenu", "message"),
    [
        (b"", "est vide"),
        (b"PK\x03\x04\x14\x00\x06\x00", "est un classeur (Excel, LibreOffice), pas un fichier CSV"),
        ("UAI;Nom\n".encode("utf-16"), "est encodé en UTF-16"),
        (
            "numero_uai;appellation_officielle;secteur_public_prive_libe;code_commune\n"
            "0110422Z;Ecole primaire de Mouthoumet;Public;11260\n"
            "0110880X;Ecole élémentaire;Public;11140\n".encode("cp1252"),
            "n'est pas encodé en UTF-8 (caractère illisible à la ligne 3)",
        ),
        (b"date;montant;libelle\n2024-01-01;12;x\n", "ne contient aucune des colonnes attendues"),
        (
            b"numero_uai;appellation_officielle;secteur_public_prive_libe\n0110422Z;Ecole;Public\n",
            "n'a pas de colonne pour : code INSEE de la commune",
        ),
    ],
    ids=["vide", "xlsx", "utf-16", "windows-1252", "autres-colonnes", "colonne-manquante"],
)
def test_fichier_illisible_un_seul_message_clair(tmp_path, contenu, message):
    """A file that cannot be read gets one clear message, and nothing is written."""
    with pytest.raises(FichierIllisible) as error:
        importer_ecoles(_ecrire(tmp_path, contenu))

    assert message in str(error.value)
    assert "« ecoles.csv »" in str(error.value)
    assert not Ecole.objects.exists()


def test_fichier_introuvable(tmp_path):
    """A path that does not exist is one message too."""
    with pytest.raises(FichierIllisible, match="Impossible d'ouvrir le fichier"):
        importer_ecoles(tmp_path / "absent.csv")


# --- Filters ---------------------------------------------------------------------------------------------------


def test_filtre_par_departement():
    """--departement keeps that département's schools; the others are counted as skipped, by reason."""
    rapport = importer_ecoles(ABIMEES, departement="2A", ignorer_invalides=True)

    assert set(Ecole.objects.values_list("uai", flat=True)) == {"6200001G"}
    assert rapport.ignorees["Hors du département 2A"] == 11
    assert rapport.lignes_rejetees == 1  # line 15, too short to tell its département


@pytest.mark.parametrize("departement", ["011", "11"])
def test_filtre_departement_ecrit_sur_deux_ou_trois_chiffres(departement):
    """The département filter reads "011" as "11"."""
    rapport = importer_ecoles(IPS, departement=departement)

    assert rapport.creees == 229


def test_filtre_par_academie_code_ou_nom():
    """--academie is a code or a name; the annuaire's Créteil schools are outside Montpellier's académie."""
    hors = importer_ecoles(ANNUAIRE, academie="11")
    assert hors.ignorees == {"Hors de l'académie 11 (Montpellier)": 2}

    dedans = importer_ecoles(IPS, academie="Montpellier")  # the IPS file names the académie: MONTPELLIER
    assert dedans.creees == 229


def test_filtre_par_academie_sans_colonne_academie(tmp_path):
    """A file that does not give the académie is filtered by the commune's, from the table of académies."""
    fichier = _ecrire(
        tmp_path,
        b"UAI;Nom;Secteur;Code INSEE;Commune\n0110422Z;ECOLE PRIMAIRE;public;11260;MOUTHOUMET\n"
        b"0940176F;ECOLE ELEMENTAIRE;public;94034;FRESNES\n",
    )

    rapport = importer_ecoles(fichier, academie="11")

    assert (rapport.creees, rapport.ignorees) == (1, {"Hors de l'académie 11 (Montpellier)": 1})
    assert Ecole.objects.get().academie == "11"


def test_option_departement_inconnue():
    """An unknown département in the option is a clear message, not an empty import."""
    with pytest.raises(FichierIllisible, match="Département « 20 » inconnu"):
        importer_ecoles(IPS, departement="20")


# --- The command -----------------------------------------------------------------------------------------------


def test_commande_affiche_le_rapport():
    """import_ecoles prints the report: counts, skipped by reason, status."""
    out = StringIO()
    call_command("import_ecoles", str(GEOLOCALISATION), stdout=out)

    text = out.getvalue()
    assert "Fichier : adresse-geolocalisation-extrait.csv (Adresse et géolocalisation des établissements)" in text
    assert "Lignes lues : 1" in text
    assert "ignorées — Pas une école du premier degré : COLLEGE : 1" in text
    assert "Import terminé" in text


def test_commande_echoue_sur_un_fichier_rejete_et_liste_les_lignes():
    """With rejected rows the command lists them and exits in error; nothing is imported."""
    out = StringIO()
    with pytest.raises(CommandError, match="Import annulé"):
        call_command("import_ecoles", str(ABIMEES), stdout=out)

    assert "Ligne 4, colonne « SIREN_SIRET », valeur « 2,17003E+13 »" in out.getvalue()
    assert not Ecole.objects.exists()


def test_commande_options(tmp_path):
    """--dry-run, --skip-invalid and --departement reach the import."""
    out = StringIO()
    call_command("import_ecoles", str(ABIMEES), "--skip-invalid", "--dry-run", "--departement", "971", stdout=out)

    assert "Écoles à créer : 1" in out.getvalue()
    assert "Simulation : rien n'a été enregistré." in out.getvalue()
    assert not Ecole.objects.exists()


def test_commande_fichier_illisible(tmp_path):
    """An unreadable file ends the command with its one message."""
    with pytest.raises(CommandError, match="est un classeur"):
        call_command("import_ecoles", str(_ecrire(tmp_path, b"PK\x03\x04rest")), stdout=StringIO())


def test_commande_barre_de_progression():
    """--progress draws a progress bar on stderr, up to 100 %."""
    err = StringIO()
    call_command("import_ecoles", str(IPS), "--progress", stdout=StringIO(), stderr=err)

    assert "[" + "#" * 30 + "] 100 % — 229 lignes\n" in err.getvalue()


def test_fin_de_ligne_windows_et_retour_a_la_ligne_entre_guillemets(tmp_path):
    """CRLF line ends and a quoted line break are read; line numbers stay those of the file."""
    fichier = _ecrire(
        tmp_path,
        b'UAI,Nom,Secteur,Code INSEE,Nom de la commune\r\n0110422Z,"ECOLE PRIMAIRE\r\nDE MOUTHOUMET",public,11260,'
        b"MOUTHOUMET\r\n0110880A,ECOLE ARNAUD BELTRAME,public,11140,FERRALS\r\n",
    )

    rapport = importer_ecoles(fichier)

    assert rapport.lues == 2
    assert [(r.ligne, r.colonne) for r in rapport.rejets] == [(4, "UAI")]
    assert Ecole.objects.count() == 0


def test_erreur_d_encodage_apres_un_premier_lot_annule_tout(tmp_path):
    """A wrong byte found after a first lot was written rolls the whole file back."""
    lignes = [f"{valid_uai(n)};ECOLE PRIMAIRE N° {n};public;11260;MOUTHOUMET" for n in range(2100)]
    contenu = "UAI;Nom;Secteur;Code INSEE;Nom de la commune\n" + "\n".join(lignes) + "\n"
    fichier = _ecrire(tmp_path, contenu.encode() + "0119999N;ÉCOLE;public;11260;MOUTHOUMET\n".encode("cp1252"))

    with pytest.raises(FichierIllisible, match="ligne 2102"):
        importer_ecoles(fichier)

    assert not Ecole.objects.exists()
    assert not Commune.objects.exists()
