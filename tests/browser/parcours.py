"""A journey's steps in the browser: each page checked by axe-core (WCAG 2.1 A and AA) at the two widths users have,
a 1280 px screen and a 390 px phone (where no portal table may be cut: it becomes cards), and kept as full-page
screenshots in test-artifacts/ (a CI artifact)."""

from axe_playwright_python.sync_playwright import Axe

from .conftest import ARTIFACTS

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
LARGEURS = (1280, 390)
# The portal's tables (DSFR) whose content is wider than their box: on a phone they must become cards instead.
TABLEAUX_COUPES = """() => [...document.querySelectorAll('.fr-table__container')]
    .filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.querySelector('caption')?.textContent.trim())"""


def violations_aux_deux_largeurs(page, label: str, capture: str = "") -> list[str]:
    """axe-core on the page as it is now, at each width (then back to 1280 px); `capture` names the screenshots."""
    violations = []
    for largeur in LARGEURS:
        page.set_viewport_size({"width": largeur, "height": 900})
        if capture:
            ARTIFACTS.mkdir(exist_ok=True)
            # caret="initial": hiding the caret would inject a <style>, which the portal's CSP refuses (console error).
            page.screenshot(path=str(ARTIFACTS / f"{capture}-{largeur}.png"), full_page=True, caret="initial")
        resultats = Axe().run(page, options=WCAG_21_AA)
        if resultats.violations_count:
            violations.append(f"{label} ({largeur} px) : {resultats.generate_report()}")
        if largeur < 576 and (coupes := page.evaluate(TABLEAUX_COUPES)):
            violations.append(f"{label} ({largeur} px) : tableau plus large que l'écran, en partie caché : {coupes}")
    page.set_viewport_size({"width": 1280, "height": 900})
    return violations


class Parcours:
    """Checks each page of a journey at both widths (axe) and keeps its screenshots."""

    def __init__(self, page, role: str):
        self.page, self.role, self.violations = page, role, []

    def etape(self, nom: str) -> None:
        self.violations += violations_aux_deux_largeurs(self.page, nom, capture=f"parcours-{self.role}-{nom}")
