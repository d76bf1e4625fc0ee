"""Finance exports of titres: CSV for French Excel, XLSX with typed cells and totals, a ZIP of the issued PDFs.

The admin actions and `manage.py export_titres` call the same functions, so both give the same content.
CSV: `;` separator, UTF-8 with BOM (Excel otherwise reads it as Windows-1252), decimal comma, dates jj/mm/aaaa.
No text cell may start like a formula (`=`, `+`, `-`, `@`, tab, carriage return): a collectivité named "=1+1" is
written "'=1+1", which spreadsheets show as text (OWASP "CSV injection"). Numbers are ours and stay numbers.
"""

import csv
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from documents.formats import cellule_sure
from documents.texte import nettoyer

from .models import TitreDePerception
from .pdf import pdf_stocke

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
ZIP_CONTENT_TYPE = "application/zip"

TEXTE, MONTANT, DATE, ENTIER = "texte", "montant", "date", "entier"


@dataclass(frozen=True)
class Colonne:
    titre: str
    valeur: object  # a function of the titre
    type: str = TEXTE
    total: bool = False


COLONNES = [
    Colonne("Numéro", lambda t: t.numero),
    # Each académie numbers its own titres: the number is read with its issuer.
    Colonne("Émetteur", lambda t: t.emetteur_nom),
    Colonne("Nature", lambda t: t.nature_libelle),
    Colonne("Titre annulé", lambda t: t.annule.numero if t.annule_id else ""),
    Colonne("Exercice", lambda t: t.annee_budgetaire, ENTIER),
    Colonne("Date d'émission", lambda t: t.date_emission, DATE),
    Colonne("Date d'échéance", lambda t: t.date_echeance, DATE),
    Colonne("Collectivité", lambda t: t.debiteur_nom),
    Colonne("Commune", lambda t: t.debiteur_commune),
    Colonne("Département", lambda t: t.debiteur_departement),
    Colonne("SIREN", lambda t: t.debiteur_siren),
    Colonne("SIRET", lambda t: t.debiteur_siret),
    Colonne("Code service Chorus Pro", lambda t: t.debiteur_code_service_chorus),
    Colonne("N° d'engagement", lambda t: t.debiteur_numero_engagement),
    Colonne("Convention", lambda t: t.convention_reference),
    Colonne("Année scolaire", lambda t: t.annee_scolaire),
    Colonne("Nombre d'écoles", lambda t: t.nb_ecoles, ENTIER),
    Colonne("Participation par école", lambda t: t.tarif_par_ecole, MONTANT),
    Colonne("Montant", lambda t: t.montant, MONTANT, total=True),
    Colonne("Payé", lambda t: t.montant_paye, MONTANT, total=True),
    Colonne("Reste à payer", lambda t: t.reste_a_payer, MONTANT, total=True),
    Colonne("État", lambda t: t.etat_affiche),
]


def titres_a_exporter(queryset=None, annee_budgetaire: int | None = None):
    """The titres in the order of their numbers, with everything the columns read (two queries in all)."""
    queryset = TitreDePerception.objects.all() if queryset is None else queryset
    if annee_budgetaire is not None:
        queryset = queryset.for_annee_budgetaire(annee_budgetaire)
    return queryset.with_paiements().select_related("annule").order_by("academie", "annee_budgetaire", "sequence")


def lignes(titres) -> list[list]:
    """Typed values (str, int, Decimal, date, None), one list per titre."""
    return [[colonne.valeur(titre) for colonne in COLONNES] for titre in titres]


def totaux(rows: list[list]) -> list:
    result = []
    for index, colonne in enumerate(COLONNES):
        if colonne.total:
            result.append(sum((row[index] for row in rows), Decimal("0.00")))
        else:
            result.append("Total" if index == 0 else None)
    return result


def _csv_cell(value, type_: str) -> str:
    if value is None:
        return ""
    if type_ == MONTANT:
        return f"{value:.2f}".replace(".", ",")
    if type_ == DATE:
        return value.strftime("%d/%m/%Y")
    if type_ == ENTIER:
        return str(value)
    return cellule_sure(value)


def export_csv(titres) -> bytes:
    rows = lignes(titres)
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow([cellule_sure(colonne.titre) for colonne in COLONNES])
    for row in [*rows, totaux(rows)]:
        writer.writerow([_csv_cell(value, colonne.type) for value, colonne in zip(row, COLONNES, strict=True)])
    return ("\ufeff" + output.getvalue()).encode("utf-8")


XLSX_FORMATS = {MONTANT: '#,##0.00\\ "€"', DATE: "DD/MM/YYYY", ENTIER: "0"}
XLSX_LARGEURS = {TEXTE: 22, MONTANT: 14, DATE: 12, ENTIER: 10}


def _xlsx_row(sheet, row_index: int, values: list, bold: bool = False) -> None:
    for col_index, (value, colonne) in enumerate(zip(values, COLONNES, strict=True), start=1):
        # An XLSX cell is XML: a control character an old record may hold is stripped rather than failing the export.
        cell = sheet.cell(row=row_index, column=col_index, value=nettoyer(value) if isinstance(value, str) else value)
        if isinstance(value, str):
            # openpyxl turns a string starting with "=" into a formula: force it back to text.
            cell.data_type = "s"
        elif value is not None and colonne.type in XLSX_FORMATS:
            cell.number_format = XLSX_FORMATS[colonne.type]
        if bold:
            cell.font = Font(bold=True)


def export_xlsx(titres, titre_feuille: str = "Titres de perception") -> bytes:
    rows = lignes(titres)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = titre_feuille[:31]
    for col_index, colonne in enumerate(COLONNES, start=1):
        cell = sheet.cell(row=1, column=col_index, value=colonne.titre)
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(col_index)].width = XLSX_LARGEURS[colonne.type]
    for row_index, row in enumerate(rows, start=2):
        _xlsx_row(sheet, row_index, row)
    _xlsx_row(sheet, len(rows) + 2, totaux(rows), bold=True)
    sheet.freeze_panes = "B2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def export_zip(titres) -> bytes:
    """The PDFs exactly as issued (each checked against its SHA-256), named by titre number."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for titre in titres:
            filename, _, content = pdf_stocke(titre)
            archive.writestr(zipfile.ZipInfo(filename, date_time=_zip_time(titre)), content)
    return output.getvalue()


def _zip_time(titre: TitreDePerception) -> tuple:
    return timezone.localtime(titre.emis_le).timetuple()[:6]


FORMATS = {
    "csv": (export_csv, CSV_CONTENT_TYPE),
    "xlsx": (export_xlsx, XLSX_CONTENT_TYPE),
    "zip": (export_zip, ZIP_CONTENT_TYPE),
}


def nom_fichier(format_: str, annee_budgetaire: int | None = None) -> str:
    suffixe = str(annee_budgetaire) if annee_budgetaire else timezone.localdate().strftime("%Y%m%d")
    return f"titres-{suffixe}.{format_}"


def exporter(format_: str, titres) -> tuple[bytes, str]:
    """(content, content type) of the export of these titres in csv, xlsx or zip."""
    try:
        fonction, content_type = FORMATS[format_]
    except KeyError:
        raise ValueError(
            f"Format d'export inconnu « {format_} » : choisissez parmi {', '.join(sorted(FORMATS))}."
        ) from None
    return fonction(titres), content_type
