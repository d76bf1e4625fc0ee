from django.apps import AppConfig


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = "Facturation"

    def ready(self):
        # The public verification page (conventions) finds titres through this source, without importing facturation.
        from .verification import enregistrer

        enregistrer()
