"""The glyphs of each line of text as WeasyPrint draws them, remembered from one document to the next of a process.

Every convention of a campaign prints the same articles: drawing a line, WeasyPrint shapes its text with Pango again
(`Layout.reactivate`) and writes each glyph, its position and its width in Python (`draw_first_line`), ~15 % of a
convention's rendering. What it writes into the page between BT and ET only depends on the line's text, the styles
that shape it (font, size, language, spacing, features), its justification spacing, and the widths the document
already recorded for its glyphs: it is kept here, keyed by the first ones, for the FontConfiguration of the renderer
(documents/pdf.py), and written again, at the line's own position, when the document's state allows it. A plain
WeasyPrint call, with a FontConfiguration of its own, is left as it was.

What a line leaves in the document is replayed too, exactly as `draw_first_line` leaves it:
- the Unicode text of each glyph (`Font.to_unicode`, the text a reader extracts): the line's own, recorded with an
  empty mapping so that every glyph gets this line's text, and added only where the document has none yet;
- the width of each glyph (`Font.widths`, which the kerning written depends on): a glyph the line measured itself is
  recorded and added when the document lacks it; a glyph it found measured must have the same width in the
  document, otherwise the line is drawn by WeasyPrint again (and recorded again).
A line is drawn by WeasyPrint, never replayed, when its font is not yet in the document, when it has a decoration,
an ellipsis, a glyph missing from the font, or a bitmap, SVG, PNG or COLR font (emojis).

One thread's documents are drawn one after the other; each thread of a web process keeps lines of its own.
Written against WeasyPrint 70.0: for another version it stays off until this is read again
(tests/conventions/test_pdf_references.py compares the pages to reference images, pixel by pixel, and their words).
"""

import threading
from collections import OrderedDict

from weasyprint import draw
from weasyprint.draw import text as draw_text_module
from weasyprint.matrix import Matrix
from weasyprint.text import line_break
from weasyprint.text.fonts import get_pango_font_key

from .internes import verifiee

# Lines remembered per thread: a convention draws ~250 different lines; a line holds its glyphs as hexadecimal text.
TAILLE = 8000
ATTRIBUT = "_glyphes_memorises"

# What `Layout.setup` and `Layout.set_text` read besides the font (line_break's own key: family, style, weight,
# stretch, variants, features, variations, language, size).
PROPRIETES = (
    "direction",
    "font_kerning",
    "word_spacing",
    "letter_spacing",
    "overflow_wrap",
    "tab_size",
)
# The stream's methods that draw_first_line calls, replayed in order (set_text_matrix is the line's own position).
APPELS = frozenset({"set_font_size", "show_text", "set_text_rise"})

_original = draw.draw_text


class _Ligne:
    __slots__ = ("appels", "polices")

    def __init__(self):
        # (method name, arguments) in order.
        self.appels = []
        # Per font: the document's key of it, {glyph: width} found and measured by the line, {glyph: text}.
        self.polices = []


class _Largeurs:
    """Font.widths while a line is recorded: lookups go to the document's widths, what the line measures is kept
    apart; whether each glyph was found or measured is noted."""

    def __init__(self, document):
        self.document = document
        self.mesurees = {}
        self.trouvees = set()
        self.inconnue = False

    def __contains__(self, glyph):
        if glyph in self.mesurees:
            return True
        if glyph in self.document:
            self.trouvees.add(glyph)
            return True
        return False

    def __getitem__(self, glyph):
        if glyph in self.mesurees:
            return self.mesurees[glyph]
        return self.document[glyph]

    def __setitem__(self, glyph, largeur):
        if glyph in self.document or glyph in self.mesurees:
            # Only a missing glyph (.notdef) writes a width it did not ask for first.
            self.inconnue = True
        self.mesurees[glyph] = largeur

    def trouvees_largeurs(self):
        return {glyph: self.document[glyph] for glyph in self.trouvees}


class _Enregistreur:
    """The stream as draw_first_line sees it: every call goes through and is recorded."""

    def __init__(self, stream):
        self._stream = stream
        self.ligne = _Ligne()
        # The document's key of each font -> (Font, its real to_unicode, its real widths, the recording _Largeurs,
        # its rank in the line)
        self.polices = {}
        self.rejetee = False

    def __getattr__(self, name):
        valeur = getattr(self._stream, name)
        if name in APPELS:

            def appel(*args):
                self.ligne.appels.append((name, args))
                return valeur(*args)

            return appel
        return valeur

    def add_font(self, pango_font):
        font, font_size = self._stream.add_font(pango_font)
        key = get_pango_font_key(pango_font)[0]
        if key not in self.polices:
            if font.bitmap or font.svg or font.png or font.colr:
                self.rejetee = True
            largeurs = _Largeurs(font.widths)
            self.polices[key] = (font, font.to_unicode, font.widths, largeurs, len(self.polices))
            font.to_unicode, font.widths = {}, largeurs
        return font, font_size

    def terminer(self):
        """The fonts given back their real mappings, completed as draw_first_line would have."""
        for key, (font, to_unicode, widths, largeurs, _rang) in sorted(self.polices.items(), key=lambda p: p[1][4]):
            for glyph, texte in font.to_unicode.items():
                to_unicode.setdefault(glyph, texte)
            widths.update(largeurs.mesurees)
            self.rejetee |= largeurs.inconnue or bool(font.missing)
            self.ligne.polices.append((key, largeurs.trouvees_largeurs(), largeurs.mesurees, font.to_unicode))
            font.to_unicode, font.widths = to_unicode, widths


def _rejouer(stream, ligne: _Ligne, matrix: Matrix) -> bool:
    polices = []
    for key, trouvees, mesurees, _textes in ligne.polices:
        font = stream._fonts.get(key)
        if font is None:
            return False
        widths = font.widths
        # The widths the line found must be the document's; those it measured, absent or the same.
        if not trouvees.items() <= widths.items():
            return False
        if not mesurees.items() <= widths.items() and any(
            widths.get(glyph, largeur) != largeur for glyph, largeur in mesurees.items()
        ):
            return False
        polices.append(font)
    for font, (_key, _trouvees, mesurees, textes) in zip(polices, ligne.polices, strict=True):
        if not mesurees.keys() <= font.widths.keys():
            for glyph, largeur in mesurees.items():
                font.widths.setdefault(glyph, largeur)
        if not textes.keys() <= font.to_unicode.keys():
            for glyph, texte in textes.items():
                font.to_unicode.setdefault(glyph, texte)
    stream.set_text_matrix(*matrix.values)
    for nom, args in ligne.appels:
        getattr(stream, nom)(*args)
    return True


def _draw_text(stream, textbox, offset_x, text_overflow, block_ellipsis):
    style = textbox.style
    par_thread = getattr(style.font_config, ATTRIBUT, None)
    if (
        par_thread is None
        or text_overflow != "clip"
        or block_ellipsis != "none"
        or style["visibility"] != "visible"
        or style["text_decoration_line"] != "none"
        or not textbox.text.strip()
        or style["font_size"] < 1e-6
    ):
        return _original(stream, textbox, offset_x, text_overflow, block_ellipsis)
    lignes = getattr(par_thread, "lignes", None)
    if lignes is None:
        lignes = par_thread.lignes = OrderedDict()
    layout = textbox.pango_layout
    cle = (
        layout.text,
        layout.justification_spacing,
        line_break._font_style_cache_key(style, include_size=True),
        repr(tuple(style[name] for name in PROPRIETES)),
    )
    # What draw_text does for a visible line without decoration nor ellipsis.
    x, y = textbox.position_x, textbox.position_y + textbox.baseline
    matrix = Matrix(d=-1, e=x, f=y)
    stream.set_color(style["color"])
    ligne = lignes.get(cle)
    if ligne is not None:
        stream.begin_text()
        if _rejouer(stream, ligne, matrix):
            stream.end_text()
            lignes.move_to_end(cle)
            return
    else:
        stream.begin_text()
    layout.reactivate(style)
    enregistreur = _Enregistreur(stream)
    try:
        emojis = draw_text_module.draw_first_line(enregistreur, textbox, text_overflow, block_ellipsis, matrix)
    finally:
        enregistreur.terminer()
    stream.end_text()
    draw_text_module.draw_emojis(stream, style, x, y, emojis)
    layout.deactivate()
    if not emojis and not enregistreur.rejetee:
        lignes[cle] = enregistreur.ligne
        lignes.move_to_end(cle)
        if len(lignes) > TAILLE:
            lignes.popitem(last=False)


def memoriser(font_config) -> None:
    """The glyphs of every line drawn with `font_config` are remembered (see above)."""
    if verifiee():
        setattr(font_config, ATTRIBUT, threading.local())
        # draw_inline_level imported the function by name: it is replaced where it is called.
        draw.draw_text = _draw_text
