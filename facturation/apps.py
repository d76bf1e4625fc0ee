from django.apps import AppConfig
from django.db.models.signals import post_migrate


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = "Facturation"

    def ready(self):
        from conventions.campaign import enregistrer_montants

        from .gardes import creer_gardes_sqlite
        from .syntheses import montants_campagne
        from .verification import enregistrer

        # The public verification page (conventions) finds titres through this source, without importing facturation.
        enregistrer()
        # The year's follow-up (conventions) shows what was billed and paid per département.
        enregistrer_montants(montants_campagne)
        # On SQLite, the guards of issued titres and of their numbering (PostgreSQL has them from the migrations).
        post_migrate.connect(creer_gardes_sqlite, sender=self)
