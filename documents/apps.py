from django.apps import AppConfig
from django.core import checks


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self):
        from .checks import check_site_url
        from .texte import proteger_les_champs_texte

        checks.register(check_site_url, checks.Tags.security, deploy=True)
        # Every model is loaded before any ready() runs: each text field of each of them gets the validator.
        proteger_les_champs_texte()
