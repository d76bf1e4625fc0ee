"""The page-margin boxes of a document laid out once: the footer's reference and verification block repeat on each
page, WeasyPrint lays them out again for every page (`margin_box_content_layout`, the QR code, its three lines).

Within one document (one LayoutContext), a margin box whose content and dimensions are those of a box already laid
out on another page is given a copy of that layout. What the layout of a margin box's content depends on is all in
the key: its at-rule, its position, size, margins, paddings and borders, the @page rules its page matched (hence its
style, the same for the same rules), and the tree of boxes built for its content — each box's kind, element, text,
image and style (an element's declarations and its parent's style, or an anonymous style by the style it derives
from). "Page 2 / 4" differs from "Page 1 / 4" by its text: it is laid out anew. Counters and running elements are
resolved before (`make_box`), never during this layout; the copy is a deep copy of the boxes, each page keeps its
own.

Only for the renderer's FontConfiguration (documents/pdf.py) and written against WeasyPrint 70.0: for another version
it stays off until this is read again (tests/conventions/test_pdf_references.py compares the pages, footers
included, to reference images).
"""

from weasyprint.css import AnonymousStyle
from weasyprint.formatting_structure import boxes
from weasyprint.layout import page

from .internes import verifiee

ATTRIBUT = "_marges_mises_en_page"
GEOMETRIE = (
    "position_x",
    "position_y",
    "width",
    "height",
    "min_width",
    "max_width",
    "min_height",
    "max_height",
    *(f"{propriete}_{cote}" for propriete in ("margin", "padding") for cote in ("top", "right", "bottom", "left")),
    *(f"border_{cote}_width" for cote in ("top", "right", "bottom", "left")),
)

_original = page.margin_box_content_layout


def _style(style, marge):
    if style is None:
        return None
    if style is marge:
        return "marge"
    if isinstance(style, AnonymousStyle):
        return ("anonyme", _style(style.parent_style, marge))
    # An element's style, or the copy of it that element() places in the margin, "position: relative" (build.py):
    # its declarations, its parent's style and that one value make it.
    return (id(style.cascaded), _style(style.parent_style, marge), style.pseudo_type, style.get("position"))


def _contenu(box, marge):
    """The built tree, before layout: what the layout of `box` reads besides its dimensions."""
    return (
        type(box).__name__,
        box.element_tag,
        id(box.element) if box.element is not None else None,
        _style(box.style, marge),
        getattr(box, "text", None),
        id(getattr(box, "replacement", None)),
        tuple(_contenu(child, marge) for child in getattr(box, "children", ())),
    )


def _regles(context, page_type) -> tuple:
    style_for = context.style_for
    return tuple(
        (rang_feuille, rang_regle, rang_selecteur)
        for rang_feuille, (feuille, _origine, _specificite) in enumerate(style_for._sheets)
        for rang_regle, (_regle, selecteurs, _declarations) in enumerate(feuille.page_rules)
        for rang_selecteur, selecteur in enumerate(selecteurs)
        if style_for._page_type_match(selecteur[2], page_type)
    )


def _margin_box_content_layout(context, page_box, box):
    if not hasattr(context.font_config, ATTRIBUT) or not isinstance(box, boxes.MarginBox):
        return _original(context, page_box, box)
    deja = context.__dict__.setdefault(ATTRIBUT, {})
    cle = (
        box.at_keyword,
        tuple(getattr(box, nom, None) for nom in GEOMETRIE),
        _regles(context, page_box.page_type),
        _contenu(box, box.style),
    )
    if cle in deja:
        return deja[cle][0].deepcopy()
    resultat = _original(context, page_box, box)
    # Kept as laid out, before its page paints or tags it; with the built box, so that the objects whose identity the
    # key holds stay alive as long as it.
    deja[cle] = (resultat.deepcopy(), box)
    return resultat


def memoriser(font_config) -> None:
    """The margin boxes of every document laid out with `font_config` are laid out once per document (see above)."""
    if verifiee():
        setattr(font_config, ATTRIBUT, True)
        # make_margin_boxes calls it by its name in its module: it is replaced there.
        page.margin_box_content_layout = _margin_box_content_layout
