"""The renderer makes archivable PDFs: PDF/A-3a with what can be checked (fonts, output intent, XMP), no network."""

import io
import re

import pikepdf
import pytest
from weasyprint.urls import FatalURLFetchingError

from conventions.documents import convention_document
from documents.apps import check_harfbuzz_subset
from documents.pdf import STATIC_DIR, LocalFetcher, render

from .pdf_support import seed_convention

PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XMP = "{http://ns.adobe.com/xap/1.0/}"
PDF_NS = "{http://ns.adobe.com/pdf/1.3/}"


def as_xmp_date(pdf_date: str) -> str:
    """ "D:20211013093000+02'00'" → "2021-10-13T09:30:00+02:00"."""
    match = re.fullmatch(r"D:(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)([+-]\d\d)'(\d\d)'?", pdf_date)
    assert match, pdf_date
    y, mo, d, h, mi, s, tzh, tzm = match.groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}{tzh}:{tzm}"


@pytest.fixture
def document(db):
    return convention_document(seed_convention())


@pytest.fixture
def pdf(document):
    with pikepdf.open(io.BytesIO(render(document)[2])) as opened:
        yield opened


def test_xmp_identifies_pdf_a_3a_with_the_metadata(pdf, document):
    """The XMP says PDF/A-3 level A (tagged), with the title, author and subject, the same as the document info."""
    meta = pdf.open_metadata()
    assert meta[f"{PDFAID}part"] == "3"
    assert meta[f"{PDFAID}conformance"] == "A"
    assert meta[f"{DC}title"] == document.title
    assert meta[f"{DC}creator"] == [document.author] == ["Académie de Montpellier"]
    assert meta[f"{DC}description"] == document.subject
    info = pdf.docinfo
    assert str(info["/Title"]) == document.title
    assert str(info["/Author"]) == document.author
    assert str(info["/Subject"]) == document.subject
    # PDF/A: the document information, when present, agrees with the XMP (pyHanko's update included).
    assert str(info["/Producer"]) == meta[f"{PDF_NS}Producer"]
    assert str(info["/Keywords"]) == meta[f"{PDF_NS}Keywords"]
    for key, xmp_key in [("/CreationDate", f"{XMP}CreateDate"), ("/ModDate", f"{XMP}ModifyDate")]:
        assert as_xmp_date(str(info[key])) == meta[xmp_key]


def test_output_intent_is_srgb(pdf):
    """PDF/A needs an output intent with an embedded ICC profile."""
    intents = pdf.Root.OutputIntents
    assert len(intents) == 1
    assert intents[0].S == "/GTS_PDFA1"
    profile = intents[0].DestOutputProfile
    assert int(profile.N) == 3 and len(profile.read_bytes()) > 1000


def test_every_font_is_embedded(pdf):
    """PDF/A needs every font embedded: here the shipped Liberation Sans, subset, in all its used styles."""
    names = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and obj.Subtype != "/Type0":
            descriptor = obj.FontDescriptor
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), obj.BaseFont
            names.append(str(obj.BaseFont).split("+", 1)[1])
    assert sorted(names) == ["ENT-Sans", "ENT-Sans-Bold", "ENT-Sans-Italic"]


def test_pdf_a_structure(pdf):
    """What else PDF/A forbids or requires that can be seen: no encryption, an ID, printable widget annotations
    with an appearance, no NeedAppearances, the document's language."""
    assert not pdf.is_encrypted
    assert "/ID" in pdf.trailer
    assert str(pdf.Root.Lang) == "fr"
    assert "/NeedAppearances" not in pdf.Root.AcroForm
    for page in pdf.pages:
        for annot in page.get("/Annots", []):
            assert int(annot.F) & 4, "annotation non imprimable"
            assert not int(annot.F) & (1 | 2 | 32)
            assert "/N" in annot.AP


def test_streams_are_compressed_and_objects_packed(pdf):
    """WeasyPrint writes uncompressed, pyHanko adds the signature fields and qpdf compresses: every stream is
    Flate-encoded but the XMP metadata (left readable, as qpdf does) and the empty appearances of the unsigned
    fields (nothing to compress), the small objects sit in object streams (a 4-page convention is ~35 KB, not
    ~150 KB), in a single revision."""
    streams = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream)]
    for stream in streams:
        if stream.get("/Type") != "/Metadata" and stream.read_raw_bytes():
            assert stream.get("/Filter") == "/FlateDecode", stream.get("/Type")
    assert any(stream.get("/Type") == "/ObjStm" for stream in streams)
    raw = sum(len(stream.read_bytes()) for stream in streams)
    assert sum(len(stream.read_raw_bytes()) for stream in streams) < raw / 3


def test_a_single_revision_with_its_signature_fields(document):
    """The signature fields are part of the document as issued, not an update on top of it."""
    content = render(document)[2]
    assert content.count(b"startxref") == 1
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert [str(field.T) for field in pdf.Root.AcroForm.Fields] == ["Signature collectivite", "Signature academie"]


def test_fetcher_refuses_network_and_files_outside_static():
    """Rendering reads nothing from the network nor outside static/: a template asking for it stops the rendering."""
    fetcher = LocalFetcher()
    for url in [
        "https://example.org/logo.png",
        "http://127.0.0.1/x.css",
        "ftp://example.org/x",
        "file:///etc/passwd",
        (STATIC_DIR / ".." / "manage.py").as_uri(),
    ]:
        with pytest.raises(FatalURLFetchingError, match="aucun accès réseau"):
            fetcher.fetch(url)
    font = fetcher.fetch((STATIC_DIR / "fonts" / "LiberationSans-Regular.ttf").as_uri())
    assert len(font.read()) > 100_000


def test_harfbuzz_subsetting_is_available_here():
    """This machine has libharfbuzz-subset0: no start-up warning (scripts/system-deps.sh installs it)."""
    assert check_harfbuzz_subset() == []


def test_start_up_warning_without_harfbuzz_subset(monkeypatch):
    """Without HarfBuzz-Subset, the system check warns loudly, naming the Debian package to install."""
    from weasyprint.text import ffi

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    [warning] = check_harfbuzz_subset()
    assert warning.id == "documents.W001"
    assert "libharfbuzz-subset0" in warning.msg
