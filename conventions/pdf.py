"""One renderer for every document: a Django template and the shared print CSS, laid out by WeasyPrint as PDF/A-3b.

`render(PdfDocument(...))` returns `(filename, "application/pdf", bytes)`. Templates extend `pdf/base.html` (A4, the
fonts of static/fonts/, the footer "Page X / Y" with `footer_reference`); conventions and titres de perception use it.

Speed: each process keeps one FontConfiguration, one parsed stylesheet and one URL fetcher (see `_resources`).
A new FontConfiguration per document re-reads the fonts and leaks ~0.25 MB each time; a new fetcher builds an SSL
context (~17 ms). Nothing is fetched over the network: the fetcher only opens files under static/. WeasyPrint writes
the PDF uncompressed and qpdf (pikepdf) compresses it (see `_compressed`).
"""

import hashlib
import io
import os
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pikepdf
from django.conf import settings
from django.template.loader import get_template
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from weasyprint import CSS, HTML
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from documents.texte import nettoyer

from .documents import ZONE_ACADEMIE, ZONE_COLLECTIVITE, convention_context, load_for_documents
from .verification import contexte_pdf

CONTENT_TYPE = "application/pdf"
PDF_VARIANT = "pdf/a-3b"
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
    # Stylesheets of static/pdf/ applied after print.css, parsed once per process like it.
    stylesheets: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    lang: str = "fr"
    created: object = field(default_factory=timezone.localtime)


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


def _signature_boxes(rendered, fields: tuple[SignatureField, ...]) -> list[tuple[str, int, tuple]]:
    """Where each signature field goes: (name, page index, box in PDF points, origin at the bottom left)."""
    placed = []
    for sig_field in fields:
        for index, page in enumerate(rendered.pages):
            box = _find_box(page, sig_field.element_id)
            if box is None:
                continue
            x, y = box.border_box_x(), box.border_box_y()
            width, height = box.border_width(), box.border_height()
            rect = (x, page.height - y - height, x + width, page.height - y)
            placed.append((sig_field.name, index, tuple(round(v * PX_TO_PT, 2) for v in rect)))
            break
        else:
            raise RenduPdfImpossible(
                f"Le gabarit {sig_field.element_id!r} est absent du document : champ de signature "
                f"« {sig_field.name} » impossible à placer."
            )
    return placed


def _without_producer(_document, pdf) -> None:
    """pyHanko appends its name to the Producer of the document information but writes its name alone in the XMP
    metadata; PDF/A wants both to agree, so the Producer is left for pyHanko to write in both."""
    pdf.info.pop("Producer", None)


def _compressed(pdf: bytes) -> bytes:
    """The streams compressed and the objects packed in object streams, as pydyf would have, by qpdf (C++) at zlib's
    default level: pydyf always compresses at level 9, five times slower on the pages' text for 2 % fewer bytes
    (~10 ms of each 4-page convention). The document, its metadata and its identifier are otherwise unchanged."""
    output = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.save(output, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()


def _add_signature_fields(pdf: bytes, placed) -> bytes:
    """Empty signature fields, each party signing its own in any PDF reader (added by pyHanko)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for name, page_index, box in placed:
        append_signature_field(
            writer, SigFieldSpec(sig_field_name=name, on_page=page_index, box=box, empty_field_appearance=True)
        )
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
    placed = _signature_boxes(rendered, document.signature_fields)
    pdf = rendered.write_pdf(finisher=_without_producer if placed else None, uncompressed_pdf=True, **options)
    if placed:
        # Before compressing: pyHanko reads plain objects faster, and qpdf folds its update into a single revision.
        pdf = _add_signature_fields(pdf, placed)
    return document.filename, CONTENT_TYPE, _compressed(pdf)


# --- The convention -------------------------------------------------------------------------------------------------

CONVENTION_SIGNATURES = (
    SignatureField("Signature collectivite", ZONE_COLLECTIVITE),
    SignatureField("Signature academie", ZONE_ACADEMIE),
)


def convention_document(convention, projet: bool = False) -> PdfDocument:
    # The verification code and its QR code, once the convention is sent (a draft has none).
    context = {**convention_context(convention), **contexte_pdf(convention.code_verification)}
    return PdfDocument(
        template_name="pdf/convention.html",
        context=context,
        filename=f"{convention.reference}.pdf",
        title=f"Convention ENT-école {context['annee']} – {context['collectivite_nom']}",
        subject=(
            "Convention de partenariat pour la mise à disposition d'un environnement numérique de travail "
            f"(ENT-école), année scolaire {context['annee']}, référence {convention.reference}"
        ),
        author=convention.annee.academie.nom,
        footer_reference=f"Convention {convention.reference}",
        filigrane="PROJET" if projet else "",
        signature_fields=CONVENTION_SIGNATURES,
        stylesheets=("convention.css",),
        keywords=("ENT-école", "convention", context["annee"]),
    )


def convention_pdf(convention) -> tuple[str, str, bytes]:
    """What anyone downloading the convention gets: the copy signed by both parties, else the frozen bytes once it
    was sent, else a "PROJET" preview."""
    fichier = convention.document_signe or convention.document
    if fichier:
        with fichier.open("rb") as stored:
            return f"{convention.reference}.pdf", CONTENT_TYPE, stored.read()
    convention = load_for_documents(convention)
    return render(convention_document(convention, projet=convention.est_modifiable))


def document_fige(convention) -> tuple[str, bytes, str]:
    """The final PDF sent for signature (no "PROJET"): its file name, its bytes and their SHA-256."""
    filename, _content_type, pdf = render(convention_document(load_for_documents(convention)))
    return filename, pdf, hashlib.sha256(pdf).hexdigest()
