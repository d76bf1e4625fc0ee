"""One renderer for every document: a Django template and the shared print CSS, laid out by WeasyPrint as PDF/A-3a.

PDF/A-3 level A: the file is tagged (WeasyPrint's structure tree from the HTML: headings, paragraphs, tables with
their header cells, figures with their alternative text, the document's language), so that a screen reader reads it
in order (RGAA; PDF/UA asks the same of the structure). Level A includes level B: archiving and Factur-X are served.

`render(PdfDocument(...))` returns `(filename, "application/pdf", bytes)`. Templates extend `pdf/base.html` (A4, the
fonts of static/fonts/, the footer "Page X / Y" with `footer_reference`); conventions and titres de perception use it.

Speed: each process keeps one FontConfiguration, one parsed stylesheet and one URL fetcher (see `_resources`).
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
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.metadata.model import VENDOR as PYHANKO
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from weasyprint import CSS, HTML, Attachment
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

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
        _RESOURCES = _Resources(os.getpid(), FontConfiguration(), LocalFetcher(), _srgb_profile())
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


def _find_box(page, element_id: str):
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        if element is not None and element.get("id") == element_id and box.element_tag != "::marker":
            return box
    return None


def _field_boxes(rendered, fields) -> list[tuple[SignatureField | TextField, int, tuple]]:
    """Where each form field goes: (field, page index, box in PDF points, origin at the bottom left)."""
    placed = []
    for sig_field in fields:
        for index, page in enumerate(rendered.pages):
            box = _find_box(page, sig_field.element_id)
            if box is None:
                continue
            x, y = box.border_box_x(), box.border_box_y()
            width, height = box.border_width(), box.border_height()
            rect = (x, page.height - y - height, x + width, page.height - y)
            placed.append((sig_field, index, tuple(round(v * PX_TO_PT, 2) for v in rect)))
            break
        else:
            raise RenduPdfImpossible(
                f"Le gabarit {sig_field.element_id!r} est absent du document : champ de signature "
                f"« {sig_field.name} » impossible à placer."
            )
    return placed


RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDF_PRODUCER = "{http://ns.adobe.com/pdf/1.3/}Producer"


def _metadata_finisher(document: PdfDocument, producer: str):
    """Sets the Producer, the same in the document information and the XMP metadata (PDF/A wants both to agree),
    and adds the document's own XMP descriptions into WeasyPrint's single rdf:RDF (a second rdf:RDF would be
    dropped by pyHanko when it signs)."""

    def finish(_rendered, pdf: pydyf.PDF) -> None:
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


# Read-only (bit 1 of /Ff): the date is the rectorat's record, typed by no one in a PDF reader.
_READ_ONLY = 1
_PRINT = 4


def _empty_appearance(writer, box) -> generic.IndirectObject:
    """What an unfilled field shows: nothing (the page draws the box or the line under it). PDF/A wants an
    appearance on every widget."""
    w, h = abs(box[2] - box[0]), abs(box[3] - box[1])
    return writer.add_object(RawContent(b"", box=BoxConstraints(width=w, height=h)).as_form_xobject())


def _append_text_field(writer, text_field: TextField, page_index: int, box) -> None:
    page_ref = writer.find_page_for_modification(page_index)[0]
    widget = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Widget"),
            generic.pdf_name("/FT"): generic.pdf_name("/Tx"),
            generic.pdf_name("/T"): generic.pdf_string(text_field.name),
            generic.pdf_name("/TU"): generic.pdf_string(text_field.label or text_field.name),
            generic.pdf_name("/Ff"): generic.NumberObject(_READ_ONLY),
            generic.pdf_name("/F"): generic.NumberObject(_PRINT),
            generic.pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in box),
            generic.pdf_name("/P"): page_ref,
            generic.pdf_name("/AP"): generic.DictionaryObject({generic.pdf_name("/N"): _empty_appearance(writer, box)}),
        }
    )
    ref = writer.add_object(widget)
    page = page_ref.get_object()
    annots = page.get("/Annots")
    if annots is None:
        page[generic.pdf_name("/Annots")] = annots = generic.ArrayObject()
    annots.get_object().append(ref)
    writer.update_container(page)
    acroform = writer.root["/AcroForm"]
    acroform["/Fields"].append(ref)
    writer.update_container(acroform)


def _add_form_fields(pdf: bytes, placed) -> bytes:
    """Empty signature fields, each party signing its own in any PDF reader, and the text fields to fill later
    (added by pyHanko)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    # The signature fields first: pyHanko creates the /AcroForm that the text fields join.
    for form_field, page_index, box in sorted(placed, key=lambda item: not isinstance(item[0], SignatureField)):
        if isinstance(form_field, SignatureField):
            spec = SigFieldSpec(
                sig_field_name=form_field.name,
                on_page=page_index,
                box=box,
                readable_field_name=form_field.label or None,
                empty_field_appearance=False,
            )
            append_signature_field(writer, spec)
        else:
            _append_text_field(writer, form_field, page_index, box)
    output = io.BytesIO()
    writer.write(output)
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
    placed = _field_boxes(rendered, (*document.signature_fields, *document.text_fields))
    # The software that writes the file last: pyHanko when it adds form fields, which it also names when it signs.
    producer = PYHANKO if placed else f"WeasyPrint {weasyprint.__version__}"
    pdf = rendered.write_pdf(finisher=_metadata_finisher(document, producer), uncompressed_pdf=True, **options)
    if placed:
        # Before compressing: pyHanko reads plain objects faster, and qpdf folds its update into a single revision.
        pdf = _add_form_fields(pdf, placed)
    return document.filename, CONTENT_TYPE, _compressed(pdf)
