"""The admin's progress page of background work, one for every kind: a campaign batch item by item, a file import
as one unit with its line-numbered report.

jobs lays the page out (templates/admin/jobs/progression.html) and names no app above it: the app that owns the job
builds a `Progression` with its own words, links and forms (URLs already reversed), and renders it with `page`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.template.response import TemplateResponse

from .models import Item
from .tabular import RapportImport

TEMPLATE = "admin/jobs/progression.html"


@dataclass(frozen=True)
class Lien:
    libelle: str
    url: str


@dataclass(frozen=True)
class Bouton:
    """A form that POSTs to `url` with one button (and `champs` as hidden fields)."""

    libelle: str
    url: str
    champs: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Note:
    """A paragraph for the agent, with an optional link after `texte` and `suite` after the link."""

    texte: str
    lien: Lien | None = None
    suite: str = ""


@dataclass(frozen=True)
class Ligne:
    """One item of a job: what it is about (`cellules`: text or `Lien`, under `Progression.colonnes`), then the
    item's own state, message and attempts (jobs.models.Item)."""

    item: Item
    cellules: Sequence[str | Lien]


@dataclass
class Progression:
    """What the page shows, top to bottom. `etat` is a short code (CSS class `job-<etat>`), `libelle_etat` the
    state as the agent reads it, `precision_etat` what follows it (since when, ended when)."""

    etat: str
    libelle_etat: str
    precision_etat: str = ""
    # The job's card: (label, value) rows, a value being text or a Lien.
    fiche: Sequence[tuple[str, str | Lien]] = ()
    # Seconds between two reloads of the page while the job runs; None once it has ended.
    rafraichissement: int | None = None
    erreur: str = ""
    # {"total", "faits", "echecs", "restants"} (jobs.models.compteurs) for a job of many items.
    compteurs: dict | None = None
    notes: Sequence[Note] = ()
    # A file import's line-numbered report.
    rapport: RapportImport | None = None
    # The forms and links under the report (confirm, retry, go back).
    boutons: Sequence[Bouton] = ()
    liens: Sequence[Lien] = ()
    # The items, one row each, with their report; `reessayer`: the form that retries one failed item (it posts
    # `element=<pk>`).
    titre_elements: str = ""
    colonnes: Sequence[str] = ()
    elements: Iterable[Ligne] | None = None
    reessayer: Bouton | None = None
    aucun_element: str = "Aucun élément."

    @property
    def traites(self) -> int:
        return self.compteurs["faits"] + self.compteurs["echecs"] if self.compteurs else 0


def page(request, model_admin, titre: str, progression: Progression) -> TemplateResponse:
    """The progress page of a job in `model_admin`'s part of the admin."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": titre,
        "opts": model_admin.model._meta,
        "progression": progression,
        "rafraichissement": progression.rafraichissement,
    }
    return TemplateResponse(request, TEMPLATE, context)
