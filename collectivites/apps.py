from django.apps import AppConfig


class CollectivitesConfig(AppConfig):
    name = "collectivites"
    verbose_name = "Collectivités"
    # Accounts and contacts in the collectivités' portal (/espace/), mounted by the portal app.
    portal_urls = ("", "collectivites.urls")
    portal_menu = (
        {
            "label": "Contacts de la collectivité",
            "url": "collectivites:contacts",
            "order": 30,
            "roles": ("representant",),
            "current": ("collectivites:contact",),
        },
        {
            "label": "Comptes de l'espace",
            "url": "collectivites:comptes",
            "order": 35,
            "roles": ("representant",),
            "current": ("collectivites:comptes", "collectivites:inviter", "collectivites:invitation_"),
        },
    )
