from django.core.management.base import BaseCommand

from demo.loader import DemoLoader


class Command(BaseCommand):
    help = (
        "Charge la démonstration : la convention réelle de Mouthoumet (2021-2022) et des collectivités de l'Aude "
        "avec leurs écoles réelles, sur deux années scolaires. Peut être relancée sans rien dupliquer."
    )

    def handle(self, *args, **options):
        loader = DemoLoader(self.stdout)
        loader.load()
        loader.print_logins()
