"""Finance exports (CSV, XLSX, ZIP of PDFs) and the two commands issue_titres and export_titres."""

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from conventions.models import Convention
from facturation import exports
from facturation.models import TitreDePerception
from facturation.services import annuler_titre, emettre_titre, enregistrer_paiement
from tests.factories import AnneeScolaireFactory, CollectiviteFactory, valid_siren

from .factories import convention_a_facturer

pytestmark = pytest.mark.django_db


@pytest.fixture
def titres(titre_seed):
    """The seed titre (paid 20 €), a titre of a collectivité named "=1+1", and a cancelling titre, all of 2022."""
    enregistrer_paiement(titre_seed, datetime.date(2022, 2, 1), Decimal("20.00"), "virement", "VIR-1")
    emettre_titre(
        convention_a_facturer(collectivite=CollectiviteFactory(nom="=1+1"), nb_ecoles=2),
        date_emission=datetime.date(2022, 3, 1),
    )
    annule = emettre_titre(convention_a_facturer(), date_emission=datetime.date(2022, 3, 2))
    annuler_titre(annule, "Erreur", date_emission=datetime.date(2022, 3, 3))
    return exports.titres_a_exporter(annee_budgetaire=2022)


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_csv_is_what_french_excel_expects(titres):
    """UTF-8 with BOM, `;`, decimal comma, dates jj/mm/aaaa, one row per titre and a total row."""
    content = exports.export_csv(titres)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(content)
    header, seed, *_, total = rows
    assert header[:3] == ["Numéro", "Émetteur", "Nature"]
    assert len(rows) == 1 + 4 + 1
    ligne = dict(zip(header, seed, strict=True))
    assert ligne["Numéro"] == "2022-000001"
    assert ligne["Date d'émission"] == "10/01/2022"
    assert ligne["Date d'échéance"] == "09/02/2022"
    assert ligne["Montant"] == "50,00"
    assert ligne["Payé"] == "20,00"
    assert ligne["Reste à payer"] == "30,00"
    # Due on 9 February 2022: « en retard », as the admin and the portal say it.
    assert ligne["État"] == "Partiellement payé, en retard"
    assert ligne["Commune"] == "Mouthoumet"
    assert total[0] == "Total"
    assert dict(zip(header, total, strict=True))["Montant"] == "150,00"  # 50 + 100 + 50 − 50


def test_csv_cells_never_run_as_formulas(titres):
    """A collectivité named "=1+1" is written as text ("'=1+1"); negative amounts stay numbers."""
    rows = _csv_rows(exports.export_csv(titres))
    header = rows[0]
    par_numero = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:-1]}
    assert par_numero["2022-000002"]["Collectivité"] == "'=1+1"
    assert par_numero["2022-000004"]["Montant"] == "-50,00"
    assert par_numero["2022-000004"]["Titre annulé"] == "2022-000003"
    assert par_numero["2022-000004"]["Nature"] == "Titre d'annulation"
    dangereuses = [cell for row in rows for cell in row if cell[:1] in ("=", "+", "@") and cell != ""]
    assert dangereuses == []


def test_xlsx_has_typed_cells_and_totals(titres):
    """Amounts are numbers with a euro format, dates are dates, "=1+1" is a string, the last row totals."""
    sheet = openpyxl.load_workbook(io.BytesIO(exports.export_xlsx(titres))).active
    header = [cell.value for cell in sheet[1]]
    col = {name: index for index, name in enumerate(header)}
    seed = sheet[2]
    assert seed[col["Montant"]].data_type == "n"
    assert seed[col["Montant"]].value == 50
    assert "€" in seed[col["Montant"]].number_format
    assert seed[col["Date d'émission"]].value == datetime.datetime(2022, 1, 10)
    assert seed[col["Nombre d'écoles"]].value == 1
    formule = sheet[3][col["Collectivité"]]
    assert (formule.value, formule.data_type) == ("=1+1", "s")
    total = sheet[sheet.max_row]
    assert total[0].value == "Total"
    assert (total[col["Montant"]].value, total[col["Payé"]].value, total[col["Reste à payer"]].value) == (
        150,
        20,
        130,
    )
    assert total[col["Montant"]].data_type == "n"


def test_zip_holds_the_issued_pdfs(titres):
    """One entry per titre, named by number, holding exactly the stored bytes."""
    archive = zipfile.ZipFile(io.BytesIO(exports.export_zip(titres)))
    assert archive.namelist() == [f"titre-2022-00000{n}.pdf" for n in range(1, 5)]
    for titre in titres:
        with titre.pdf.open("rb") as stored:
            assert archive.read(titre.nom_fichier) == stored.read()


def test_export_command_writes_the_same_content_as_the_functions(titres, tmp_path):
    """export_titres --annee 2022 --format csv|xlsx|zip --output FILE gives the functions' output."""
    for format_ in ("csv", "xlsx", "zip"):
        output = tmp_path / f"titres.{format_}"
        call_command("export_titres", "--annee", "2022", "--format", format_, "--output", str(output))
        content, _ = exports.exporter(format_, exports.titres_a_exporter(annee_budgetaire=2022))
        if format_ == "xlsx":  # the XLSX zip carries its creation time: compare the cells
            assert _cells(output.read_bytes()) == _cells(content)
        else:
            assert output.read_bytes() == content


def _cells(content: bytes) -> list:
    return [[cell.value for cell in row] for row in openpyxl.load_workbook(io.BytesIO(content)).active.rows]


def test_export_command_keeps_to_the_year(titres, tmp_path):
    """Another budget year exports only its header and a zero total."""
    output = tmp_path / "2023.csv"
    call_command("export_titres", "--annee", "2023", "--format", "csv", "--output", str(output))
    rows = _csv_rows(output.read_bytes())
    assert len(rows) == 2
    assert rows[1][0] == "Total"


def test_export_command_rejects_a_missing_folder(tmp_path):
    """An output folder that does not exist is named in the error."""
    with pytest.raises(CommandError, match="n'existe pas"):
        call_command("export_titres", "--annee", "2022", "--format", "csv", "--output", str(tmp_path / "x" / "f.csv"))


def test_issue_command_bills_the_signed_conventions_once(capsys):
    """issue_titres --annee 2021-2022 issues the signed ones, lists the refused one, and a rerun issues nothing."""
    annee = AnneeScolaireFactory(libelle="2021-2022")
    signees = [convention_a_facturer(annee=annee) for _ in range(2)]
    sans_siren = convention_a_facturer(annee=annee)
    sans_siren.collectivite.siren = ""
    sans_siren.collectivite.save()
    envoyee = convention_a_facturer(annee=annee)
    Convention.objects.filter(pk=envoyee.pk).update(etat=Convention.Etat.ENVOYEE)

    with pytest.raises(CommandError, match="1 convention non facturée"):
        call_command("issue_titres", "--annee", "2021-2022", "--sans-email")
    sortie = capsys.readouterr()
    assert "2 titres émis pour l'année scolaire 2021-2022" in sortie.out
    assert "n'a pas de SIREN" in sortie.err
    assert {t.convention for t in TitreDePerception.objects.all()} == set(signees)

    sans_siren.collectivite.siren = valid_siren(9999)
    sans_siren.collectivite.save()
    call_command("issue_titres", "--annee", "2021-2022", "--sans-email")
    assert "1 titre émis" in capsys.readouterr().out
    assert TitreDePerception.objects.count() == 3


def test_issue_command_rejects_an_unknown_year():
    """A school year that does not exist is reported as such."""
    with pytest.raises(CommandError, match=r"L'année scolaire 2030-2031 \(--annee\) n'existe pas"):
        call_command("issue_titres", "--annee", "2030-2031")
