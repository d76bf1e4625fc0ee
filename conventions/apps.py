import logging
import warnings

from django.apps import AppConfig
from django.core import checks

logger = logging.getLogger("conventions")

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
    return [checks.Warning(HARFBUZZ_SUBSET_ABSENT, id="conventions.W001")]


class ConventionsConfig(AppConfig):
    name = "conventions"
    verbose_name = "Conventions"

    def ready(self):
        from collectivites.destinataires import enregistrer_correspondant

        from .models import Academie

        checks.register(check_harfbuzz_subset)
        # Every e-mail to a collectivité names the académie's correspondent (collectivites does not know académies).
        enregistrer_correspondant(
            lambda collectivite: getattr(Academie.de_collectivite(collectivite), "correspondant", None)
        )
        # Also in the log of every process (gunicorn, Celery, commands), where system checks do not run.
        if not harfbuzz_subset_disponible():
            logger.warning("!" * 20 + " " + HARFBUZZ_SUBSET_ABSENT + " " + "!" * 20)
