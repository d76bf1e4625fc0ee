from django.apps import AppConfig


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = "Facturation"

    def ready(self):
        # The public verification page (conventions) finds titres through this source, without importing facturation.
        from conventions.campaign import enregistrer_montants

        from .syntheses import montants_campagne
        from .verification import enregistrer

        enregistrer()
        # The year's follow-up (conventions) shows what was billed and paid per département.
        enregistrer_montants(montants_campagne)
