from django.apps import AppConfig


class PortailConfig(AppConfig):
    """The web pages of people outside the rectorat: the collectivités' portal under /espace/ and the public
    /verifier/. At the top of the dependency chain: it may name every app; none names it. The other apps declare
    their portal pages and menu entries in their own AppConfig (portail.registry)."""

    name = "portail"
    verbose_name = "Portail des collectivités"
    portal_menu = (
        {
            "label": "Mes conventions",
            "url": "portail:tableau_de_bord",
            "order": 10,
            # A convention's pages are reached from the home page.
            "current": ("portail:tableau_de_bord", "conventions:"),
        },
    )

    def ready(self):
        from django.core import checks

        from .checks import check_security_contact

        checks.register(check_security_contact, checks.Tags.security, deploy=True)
