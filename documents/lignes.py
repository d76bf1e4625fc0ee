"""The line breaks of WeasyPrint's inline layout, remembered from one document to the next of a process.

Every convention of a campaign prints the same articles: WeasyPrint breaks the same paragraphs into the same lines
in the same widths for each of them, asking Pango to shape and measure each line again (`split_first_line`, ~15 % of
a convention's layout and drawing). The answer only depends on the text, the available width and the styles that
`weasyprint.text.line_break` reads: it is kept here, keyed by exactly these, for the FontConfiguration of the
renderer (documents/pdf.py), which lives as long as the process. A plain WeasyPrint call, with a FontConfiguration of
its own, is left as it was.

Sharing the answer is safe: its `Layout` leaves `split_first_line` deactivated (no Pango object, no style: text,
widths and direction only), and a box that draws it sets it up again with its own style and deactivates it after;
justification makes a new layout (`add_word_spacing`), never changes this one. One thread's documents are laid out
and drawn one after the other; each thread of a web process keeps lines of its own, never drawn by another.
Written against WeasyPrint 70.0: for another version the cache stays off until this is read again
(tests/conventions/test_pdf_references.py compares the pages to reference images, pixel by pixel).
"""

import threading
from collections import OrderedDict

from weasyprint.layout import inline
from weasyprint.text import line_break

from .internes import verifiee

# Lines remembered per process: the fixed text of a convention is ~300 lines; beyond this the least recently used go
# (a line holds its text and a few numbers: a few MB at most, per thread).
TAILLE = 8000
ATTRIBUT = "_lignes_memorisees"

# Every property that split_first_line and the Layout it makes read, besides the font (line_break's own key).
PROPRIETES = (
    "white_space",
    "word_spacing",
    "letter_spacing",
    "overflow_wrap",
    "word_break",
    "hyphens",
    "hyphenate_character",
    "hyphenate_limit_zone",
    "hyphenate_limit_chars",
    "tab_size",
    "text_decoration_line",
    "direction",
)

_original = line_break.split_first_line


def _split_first_line(text, style, context, max_width, justification_spacing, is_line_start=True, minimum=False):
    par_thread = getattr(style.font_config, ATTRIBUT, None)
    if par_thread is None:
        return _original(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    lignes = getattr(par_thread, "lignes", None)
    if lignes is None:
        lignes = par_thread.lignes = OrderedDict()
    cle = (
        text,
        max_width,
        justification_spacing,
        is_line_start,
        minimum,
        line_break._font_style_cache_key(style, include_size=True),
        repr(tuple(style[name] for name in PROPRIETES)),
    )
    resultat = lignes.get(cle)
    if resultat is None:
        resultat = _original(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        lignes[cle] = resultat
        if len(lignes) > TAILLE:
            lignes.popitem(last=False)
    else:
        lignes.move_to_end(cle)
    return resultat


def memoriser(font_config) -> None:
    """The line breaks of every document laid out with `font_config` are remembered (see above)."""
    if verifiee():
        setattr(font_config, ATTRIBUT, threading.local())
        # The inline layout imported the function by name: it is replaced where it is called.
        inline.split_first_line = _split_first_line
