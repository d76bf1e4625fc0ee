from django.apps import AppConfig


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = "Facturation"
    # The titres in the collectivités' portal (/espace/), mounted by the portal app.
    portal_urls = ("", "facturation.urls")
    portal_menu = ({"label": "Titres de perception", "url": "facturation:titres", "order": 20},)

    def ready(self):
        # The public verification page (documents) finds titres through this source.
        from .verification import enregistrer

        enregistrer()
