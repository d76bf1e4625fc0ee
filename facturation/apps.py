from django.apps import AppConfig


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = "Facturation"
    # The titres in the collectivités' portal (/espace/), mounted by the portal app.
    portal_urls = ("", "facturation.urls")
    portal_menu = ({"label": "Titres de perception", "url": "facturation:titres", "order": 20},)

    def ready(self):
        from conventions.models import Notification, Traitement

        from . import campaign, notifications, verification

        Notification.ajouter_type(notifications.TITRE_EMIS, notifications.LIBELLE_TITRE_EMIS)
        Traitement.ajouter_type(campaign.TITRES, campaign.LIBELLE_TITRES)

        # The public verification page (documents) finds titres through this source.
        verification.enregistrer()
        # The titres batch of conventions' campaign, and the amounts billed and paid of its follow-up.
        campaign.enregistrer()
