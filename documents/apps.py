import logging
import warnings

from django.apps import AppConfig
from django.core import checks

logger = logging.getLogger("documents")

HARFBUZZ_SUBSET_ABSENT = (
    "HarfBuzz-Subset est introuvable (paquet Debian libharfbuzz-subset0, version 4.1 au moins) : WeasyPrint "
    "découpe alors les polices avec fontTools, environ 250 ms de plus par PDF. Installez-le : "
    "bash scripts/system-deps.sh run."
)


def harfbuzz_subset_disponible() -> bool:
    """What WeasyPrint itself tests before subsetting fonts (weasyprint/pdf/fonts.py)."""
    with warnings.catch_warnings():
        # Without the library WeasyPrint warns once, quietly (DeprecationWarning): we say it louder below.
        warnings.simplefilter("ignore", DeprecationWarning)
        from weasyprint.text import ffi

    return ffi.harfbuzz_subset is not None and bool(ffi.harfbuzz.hb_version_atleast(4, 1, 0))


def check_harfbuzz_subset(app_configs=None, **kwargs):
    if harfbuzz_subset_disponible():
        return []
    return [checks.Warning(HARFBUZZ_SUBSET_ABSENT, id="documents.W001")]


def check_weasyprint_verifie(app_configs=None, **kwargs):
    from . import internes

    if internes.verifiee():
        return []
    import weasyprint

    return [
        checks.Warning(
            f"WeasyPrint {weasyprint.__version__} est installé ; le moteur de rendu a été vérifié avec la version "
            f"{internes.VERSION_VERIFIEE} : ses caches (documents/lignes.py, glyphes.py, marges.py, "
            "sous_ensembles.py) restent désactivés, les PDF sont identiques mais rendus environ 1,5 fois plus "
            "lentement.",
            hint=f"Installez WeasyPrint {internes.VERSION_VERIFIEE} (requirements.txt), ou relisez ces quatre modules "
            "contre la nouvelle version puis changez documents/internes.py.",
            id="documents.W002",
        )
    ]


class DocumentsConfig(AppConfig):
    """The issued documents: the PDF renderer, electronic signatures, verification codes, French formats, and what
    a document may carry (text without control characters, uploads checked).

    Below every domain app: it names none of them. Each app registers its document types (documents.registry: how
    each is rendered and how /verifier/ finds it) from its own ready(); its issued documents are models on
    documents.models.DocumentEmis."""

    name = "documents"
    verbose_name = "Documents"

    def ready(self):
        from .checks import check_site_url
        from .texte import proteger_les_champs_texte

        checks.register(check_harfbuzz_subset)
        checks.register(check_weasyprint_verifie)
        checks.register(check_site_url, checks.Tags.security, deploy=True)
        # Every model is loaded before any ready() runs: each text field of each of them gets the validator.
        proteger_les_champs_texte()
        # Also in the log of every process (gunicorn, Celery, commands), where system checks do not run.
        if not harfbuzz_subset_disponible():
            logger.warning("!" * 20 + " " + HARFBUZZ_SUBSET_ABSENT + " " + "!" * 20)
