from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py load_demo`: every app's data at once (the seed convention, schools, titres, payments), so it sits
    at the top of the dependency chain with the portal."""

    name = "demo"
    verbose_name = "Démonstration"
