"""Shared by the PDF tests: the seed convention's data, and reading a PDF back as text."""

import datetime
import io
import re
import subprocess
from pathlib import Path

import pikepdf
from pikepdf.models.metadata import decode_pdf_date
from pypdf import PdfReader

from collectivites.models import Collectivite
from conventions.documents import conventions_for_documents
from tests.factories import CollectiviteFactory, CommuneFactory, ConventionFactory, EcoleFactory

DATA = Path(__file__).parent / "data"
SEED = DATA / "convention-ent-ecole-2021-2022.txt"
# The reference given to the project (a copy of it is kept in DATA, see test_pdf_convention.py).
SHARED_SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / SEED.name
PAGE_FOOTER_RE = re.compile(r"Page (\d+) / (\d+)")


def seed_convention(**overrides):
    """The parties of the 2021-2022 convention: a grouping signing for its commune Mouthoumet, school 0110422Z."""
    collectivite = CollectiviteFactory(
        nom="Communauté de Communes Région Lézignanaise Corbières et Minervois",
        type=Collectivite.Type.COMMUNAUTE_COMMUNES,
        commune=None,
        departement="11",
        adresse="48 avenue Charles Cros",
        code_postal="11200",
        ville="Lézignan-Corbières",
        representant_civilite="Monsieur",
        representant_prenom="André",
        representant_nom="Hernandez",
        representant_qualite="Président",
        conventions_par_commune=True,
    )
    commune = CommuneFactory(code_insee="11260", nom="Mouthoumet", code_postal="11330", groupement=collectivite)
    ecole = EcoleFactory(uai="0110422Z", nom="ECOLE PRIMAIRE", commune=commune)
    fields = {
        "collectivite": collectivite,
        "commune": commune,
        "ecoles": [ecole],
        "signee": True,
        "date_signature": datetime.date(2021, 9, 13),
        "lieu_signature": "Montpellier",
    }
    fields.update(overrides)
    return loaded(ConventionFactory(**fields))


def loaded(convention):
    return conventions_for_documents().get(pk=convention.pk)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def words(text: str) -> list[str]:
    """The words of a text, whatever the line breaks, the justification and the kind of space between them.

    A line that ends on a hyphen inside a word ("l'ENT-" / "école") continues on the next one: the layout broke
    it there (hyphenation itself is off), the word is "l'ENT-école".
    """
    text = re.sub(r"(?<=\w-)\n", "", text)
    return [word for word in re.split(r"[\s\u00a0]+", text) if word]


def one_line(text: str) -> str:
    """The text on one line, regular spaces collapsed, non-breaking spaces kept as they are."""
    text = re.sub(r"(?<=\w-)\n", "", text)
    return re.sub(r"[ \n]+", " ", text)


def frozen_bytes(convention) -> bytes:
    with convention.document.open("rb") as stored:
        return stored.read()


def printed_text(pdf: bytes) -> list[str]:
    """What a reader sees and prints, page by page, filled form fields included (poppler's pdftotext draws their
    appearance as a PDF reader does; pypdf reads the page's own text only). Lines kept, runs of spaces collapsed."""
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return [re.sub(r" {2,}", " ", page) for page in text.decode().split("\f")[:-1]]


def metadata_pairs(pdf: bytes) -> dict[str, tuple]:
    """Each entry of the document information beside its XMP counterpart, as PDF/A wants them equal: producer,
    keywords, title, creation and modification dates (compared as moments). Plus the raw XMP packet."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        info = {str(key): str(value) for key, value in document.docinfo.items()}
        xmp = document.open_metadata()
        pairs = {
            "Producer": (info.get("/Producer"), xmp.get("pdf:Producer")),
            "Keywords": (info.get("/Keywords"), xmp.get("pdf:Keywords")),
            "Title": (info.get("/Title"), xmp.get("dc:title")),
        }
        for name, xmp_name in (("CreationDate", "xmp:CreateDate"), ("ModDate", "xmp:ModifyDate")):
            pairs[name] = (
                decode_pdf_date(info[f"/{name}"]) if f"/{name}" in info else None,
                datetime.datetime.fromisoformat(xmp[xmp_name]) if xmp_name in xmp else None,
            )
        return pairs


def metadata_disagreements(pdf: bytes) -> dict[str, tuple]:
    return {name: pair for name, pair in metadata_pairs(pdf).items() if pair[0] != pair[1] or pair[0] is None}


def xmp_packet(pdf: bytes) -> str:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return document.Root.Metadata.read_bytes().decode()


def drawing(pdf: bytes) -> list:
    """What each page draws and the fonts it draws with: content stream, widths, Unicode map, embedded subset."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        pages = []
        for page in document.pages:
            fonts = []
            for font in page.Resources.Font.values():
                descendant = font.DescendantFonts[0]
                fonts.append(
                    (repr(descendant.W), font.ToUnicode.read_bytes(), descendant.FontDescriptor.FontFile2.read_bytes())
                )
            pages.append((page.Contents.read_bytes(), fonts))
        return pages
