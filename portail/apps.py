from django.apps import AppConfig


class PortailConfig(AppConfig):
    """The web pages of people outside the rectorat: the collectivités' portal under /espace/ and the public
    /verifier/. At the top of the dependency chain: it may name every app; none names it."""

    name = "portail"
    verbose_name = "Portail des collectivités"
