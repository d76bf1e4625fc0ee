from django.apps import AppConfig
from django.db.models.signals import post_migrate


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = "Facturation"
    # The titres in the collectivités' portal (/espace/), mounted by the portal app.
    portal_urls = ("", "facturation.urls")
    portal_menu = ({"label": "Titres de perception", "url": "facturation:titres", "order": 20},)

    def ready(self):
        from conventions.models import Notification, Traitement
        from conventions.sections import enregistrer_section

        from . import campagne, notifications, sections, verification
        from .gardes import creer_gardes_sqlite

        Notification.ajouter_type(notifications.TITRE_EMIS, notifications.LIBELLE_TITRE_EMIS)
        Traitement.ajouter_type(campagne.TITRES, campagne.LIBELLE_TITRES)

        # The titre as a document type (documents.registry): rendered, and found by /verifier/.
        verification.enregistrer()
        # The titres batch of conventions' campaign, and the amounts billed and paid of its follow-up.
        campagne.enregistrer()
        # A convention's portal page shows its titres, with what is left to pay and how.
        enregistrer_section(sections.titres_de_la_convention)
        # On SQLite, the guards of issued titres and of their numbering (PostgreSQL has them from the migrations).
        post_migrate.connect(creer_gardes_sqlite, sender=self)
