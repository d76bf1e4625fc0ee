"""One renderer for every document: a Django template and the shared print CSS, laid out by WeasyPrint as PDF/A-3a.

PDF/A-3 level A: the file is tagged (WeasyPrint's structure tree from the HTML: headings, paragraphs, tables with
their header cells, figures with their alternative text, the document's language), so that a screen reader reads it
in order (RGAA; PDF/UA asks the same of the structure). Level A includes level B: archiving and Factur-X are served.
The footer becomes page furniture and the form fields join the tree where they stand (documents/structure.py).

`render(PdfDocument(...))` returns `(filename, "application/pdf", bytes)`. Templates extend `pdf/base.html` (A4, the
fonts of static/fonts/, the footer "Page X / Y" with `footer_reference`); conventions and titres de perception use it.

Speed: each process keeps one FontConfiguration, one parsed stylesheet and one URL fetcher (see `_resources`), and
the line breaks and the drawn glyphs of the text that every convention repeats (documents/lignes.py,
documents/glyphes.py); a document lays out its footer once, not on every page (documents/marges.py), and its fonts'
subsets are made without a C type parsed for each (documents/sous_ensembles.py).
A new FontConfiguration per document re-reads the fonts and leaks ~0.25 MB each time; a new fetcher builds an SSL
context (~17 ms). Nothing is fetched over the network: the fetcher only opens files under static/. WeasyPrint writes
the PDF uncompressed and qpdf (pikepdf) compresses it (see `_compressed`).
"""

import io
import os
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pikepdf
import pydyf
import weasyprint
from django.conf import settings
from django.template.loader import get_template
from django.utils import timezone
from lxml import etree
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR as PYHANKO
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint import CSS, HTML, Attachment
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from . import glyphes, lignes, marges, sous_ensembles, structure
from .texte import nettoyer

CONTENT_TYPE = "application/pdf"
PDF_VARIANT = "pdf/a-3a"
STATIC_DIR = Path(settings.BASE_DIR) / "static"
PDF_STATIC_DIR = STATIC_DIR / "pdf"
# Shared by every document; a document adds its own stylesheets of static/pdf/ (PdfDocument.stylesheets).
BASE_STYLESHEET = "print.css"
OUTPUT_INTENT = "srgb-pdfa"
# WeasyPrint lays out in CSS pixels (96 per inch), PDF counts points (72 per inch).
PX_TO_PT = 0.75


class RenduPdfImpossible(Exception):
    """A document could not be rendered (e.g. a template asked for a resource outside static/). For users."""


@dataclass(frozen=True)
class SignatureField:
    """An empty signature field placed over the element `element_id` of the template, named `name` in the PDF."""

    name: str
    element_id: str
    label: str = ""


@dataclass(frozen=True)
class TextField:
    """An empty, read-only text field over the element `element_id`, filled later by `remplir_champs` (the date of
    signature on the line "A Montpellier, le ____")."""

    name: str
    element_id: str
    label: str = ""


@dataclass(frozen=True)
class PieceJointe:
    """A file embedded in the PDF (PDF/A-3 allows it), e.g. a titre's Factur-X XML. `relationship` is the PDF's
    /AFRelationship ("Data", "Source", "Alternative"...)."""

    name: str
    content: bytes
    description: str
    relationship: str = "Data"


@dataclass
class PdfDocument:
    template_name: str
    context: dict
    filename: str
    title: str
    subject: str
    author: str
    # Printed on the left of every page's footer, e.g. the convention's reference or the titre's number.
    footer_reference: str = ""
    # Printed across every page when the document is not final ("PROJET").
    filigrane: str = ""
    signature_fields: tuple[SignatureField, ...] = ()
    text_fields: tuple[TextField, ...] = ()
    # Stylesheets of static/pdf/ applied after print.css, parsed once per process like it.
    stylesheets: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    lang: str = "fr"
    created: object = field(default_factory=timezone.localtime)
    attachments: tuple[PieceJointe, ...] = ()
    # rdf:Description elements added to the XMP metadata (an embedded file's own properties and, as PDF/A wants,
    # the extension schema that declares them). Their namespaces must be registered (lxml's register_namespace) so
    # that a signature, which writes the XMP again with pyHanko, keeps their prefixes.
    xmp: str = ""


class LocalFetcher(URLFetcher):
    """Opens files under static/ and data: URLs; refuses everything else, and stops the rendering when asked."""

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).resolve()
            if path.is_relative_to(STATIC_DIR.resolve()) and path.is_file():
                return URLFetcherResponse(url, body=path.read_bytes())
        raise FatalURLFetchingError(
            f"Ressource refusée pendant le rendu d'un PDF : {url} (seuls les fichiers de static/ sont permis, "
            "aucun accès réseau)."
        )


@dataclass
class _Resources:
    pid: int
    font_config: FontConfiguration
    fetcher: LocalFetcher
    output_profile: ColorProfile
    stylesheets: dict[str, CSS] = field(default_factory=dict)

    def stylesheet(self, name: str) -> CSS:
        if name not in self.stylesheets:
            path = (PDF_STATIC_DIR / name).resolve()
            if not path.is_relative_to(PDF_STATIC_DIR.resolve()) or not path.is_file():
                raise RenduPdfImpossible(f"Feuille de style introuvable dans static/pdf/ : {name}")
            self.stylesheets[name] = CSS(filename=str(path), font_config=self.font_config, url_fetcher=self.fetcher)
        return self.stylesheets[name]


_RESOURCES: _Resources | None = None


def _resources() -> _Resources:
    """The per-process rendering state, built again in a forked child (fontconfig state is not shared)."""
    global _RESOURCES
    if _RESOURCES is None or _RESOURCES.pid != os.getpid():
        font_config = FontConfiguration()
        lignes.memoriser(font_config)
        glyphes.memoriser(font_config)
        marges.memoriser(font_config)
        sous_ensembles.installer()
        _RESOURCES = _Resources(os.getpid(), font_config, LocalFetcher(), _srgb_profile())
        _RESOURCES.stylesheet(BASE_STYLESHEET)
    return _RESOURCES


def _srgb_profile() -> ColorProfile:
    """WeasyPrint's own sRGB profile for the PDF/A output intent, read once: asked for by its usual name "srgb",
    WeasyPrint 70 opens the file again for every document and never closes it (a ResourceWarning each time)."""
    with (resources.files("weasyprint.pdf") / "sRGB2014.icc").open("rb") as icc:
        return ColorProfile(icc, "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"]))


@lru_cache(maxsize=32)
def _template(name: str):
    return get_template(name)


def _html(document: PdfDocument) -> str:
    context = {
        **document.context,
        "pdf_title": document.title,
        "footer_reference": document.footer_reference,
        "filigrane": document.filigrane,
    }
    return _template(document.template_name).render(context)


def _widgets(rendered, fields) -> list[structure.Widget]:
    """Each form field over the element of its template, tagged in place (documents/structure.py)."""
    boxes = {}
    for index, page in enumerate(rendered.pages):
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is not None and box.element_tag != "::marker" and (element_id := element.get("id")):
                boxes.setdefault(element_id, (index, page, box))
    widgets = []
    for form_field in fields:
        if form_field.element_id not in boxes:
            raise RenduPdfImpossible(
                f"Le gabarit {form_field.element_id!r} est absent du document : champ "
                f"« {form_field.name} » impossible à placer."
            )
        index, page, box = boxes[form_field.element_id]
        x, y = box.border_box_x(), box.border_box_y()
        width, height = box.border_width(), box.border_height()
        rect = (x, page.height - y - height, x + width, page.height - y)
        widgets.append(
            structure.widget(
                box,
                name=form_field.name,
                label=form_field.label,
                signature=isinstance(form_field, SignatureField),
                rect=tuple(round(v * PX_TO_PT, 2) for v in rect),
                page_index=index,
            )
        )
    return widgets


RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDF_PRODUCER = "{http://ns.adobe.com/pdf/1.3/}Producer"


def _finisher(document: PdfDocument, producer: str, widgets: list[structure.Widget]):
    """The form fields and the page furniture put in the structure tree (documents/structure.py); the Producer,
    the same in the document information and the XMP metadata (PDF/A wants both to agree), and the document's own
    XMP descriptions added into WeasyPrint's single rdf:RDF (a second rdf:RDF would be dropped by pyHanko when it
    signs)."""

    def finish(_rendered, pdf: pydyf.PDF) -> None:
        structure.finish_fields(pdf, widgets)
        structure.tag_page_furniture(pdf)
        pdf.info["Producer"] = pydyf.String(producer)
        stream = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
        content = b"".join(part if isinstance(part, bytes) else part.encode() for part in stream.stream)
        start, end = content.index(b"<rdf:RDF"), content.index(b"</rdf:RDF>") + len(b"</rdf:RDF>")
        rdf = etree.fromstring(content[start:end])
        for description in rdf:
            if PDF_PRODUCER in description.attrib:
                description.set(PDF_PRODUCER, producer)
        if document.xmp:
            rdf.extend(etree.fromstring(f'<rdf:RDF xmlns:rdf="{RDF}">{document.xmp}</rdf:RDF>'.encode()))
        stream.stream = [content[:start] + etree.tostring(rdf, encoding="utf-8") + content[end:]]

    return finish


def _compressed(pdf: bytes) -> bytes:
    """The streams compressed and the objects packed in object streams, as pydyf would have, by qpdf (C++) at zlib's
    default level: pydyf always compresses at level 9, five times slower on the pages' text for 2 % fewer bytes
    (~10 ms of each 4-page convention). The document, its metadata and its identifier are otherwise unchanged."""
    output = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.save(output, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()


def _text_appearance(writer, text: str, rect) -> generic.IndirectObject:
    """The filled field's appearance: `text` laid out by WeasyPrint in the documents' embedded fonts at the size of
    the field (PDF/A wants every font embedded), as a form XObject."""
    width, height = abs(rect[2] - rect[0]), abs(rect[3] - rect[1])
    document = PdfDocument(
        template_name="pdf/champ_texte.html",
        context={"texte": text, "w": width, "h": height},
        filename="champ.pdf",
        title=text,
        subject="",
        author="",
    )
    return writer.import_page_as_xobject(PdfFileReader(io.BytesIO(render(document)[2])), page_ix=0)


def remplir_champs_dans(writer: IncrementalPdfFileWriter, valeurs: dict[str, str]) -> None:
    """Fills the text fields named in `valeurs` in the pending revision of `writer` (the value and what it shows):
    form filling, which the signatures made before allow."""
    restants = dict(valeurs)
    for ref in writer.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        name = str(field.get("/T"))
        if field.get("/FT") != "/Tx" or name not in restants:
            continue
        text = restants.pop(name)
        field[generic.pdf_name("/V")] = generic.pdf_string(text)
        rect = [float(v) for v in field["/Rect"]]
        field[generic.pdf_name("/AP")] = generic.DictionaryObject(
            {generic.pdf_name("/N"): _text_appearance(writer, text, rect)}
        )
        writer.update_container(field)
    if restants:
        raise RenduPdfImpossible(f"Champ absent du document : {', '.join(restants)}.")


def champs_texte(pdf: bytes) -> set[str]:
    """The names of the text fields of a PDF."""
    root = PdfFileReader(io.BytesIO(pdf)).root
    if "/AcroForm" not in root:
        return set()
    fields = (ref.get_object() for ref in root["/AcroForm"]["/Fields"])
    return {str(field["/T"]) for field in fields if field.get("/FT") == "/Tx"}


def remplir_champs(pdf: bytes, valeurs: dict[str, str]) -> bytes:
    """`pdf` with its text fields filled, as an incremental update: the bytes before stay as they were."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    remplir_champs_dans(writer, valeurs)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def render(document: PdfDocument) -> tuple[str, str, bytes]:
    cached = _resources()
    # What a record holds that no PDF can carry (documents/texte.py) is stripped here rather than failing the PDF.
    html = HTML(string=nettoyer(_html(document)), base_url=STATIC_DIR.as_uri() + "/", url_fetcher=cached.fetcher)
    stylesheets = [cached.stylesheet(name) for name in (BASE_STYLESHEET, *document.stylesheets)]
    options = {"stylesheets": stylesheets, "pdf_variant": PDF_VARIANT, "output_intent": OUTPUT_INTENT}
    color_profiles = {OUTPUT_INTENT: cached.output_profile}
    rendered = html.render(font_config=cached.font_config, color_profiles=color_profiles, **options)
    metadata = rendered.metadata
    metadata.title = nettoyer(document.title)
    metadata.authors = [nettoyer(document.author)]
    metadata.description = nettoyer(document.subject)
    metadata.keywords = [nettoyer(keyword) for keyword in document.keywords]
    metadata.lang = document.lang
    metadata.created = metadata.modified = document.created.isoformat(timespec="seconds")
    metadata.attachments = [
        Attachment(
            string=piece.content,
            name=piece.name,
            description=piece.description,
            relationship=piece.relationship,
            created=document.created,
            modified=document.created,
        )
        for piece in document.attachments
    ]
    widgets = _widgets(rendered, (*document.signature_fields, *document.text_fields))
    # The software that writes the file last: pyHanko, which fills or signs the form fields, and names itself then.
    producer = PYHANKO if widgets else f"WeasyPrint {weasyprint.__version__}"
    with sous_ensembles.ecriture():
        pdf = rendered.write_pdf(finisher=_finisher(document, producer, widgets), uncompressed_pdf=True, **options)
    return document.filename, CONTENT_TYPE, _compressed(pdf)
