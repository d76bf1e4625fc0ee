from django.apps import AppConfig


class ConventionsConfig(AppConfig):
    name = "conventions"
    verbose_name = "Conventions"
    # A convention's pages in the collectivités' portal (/espace/conventions/), mounted by the portal app.
    portal_urls = ("conventions/", "conventions.urls")

    def ready(self):
        # The public verification page (documents) finds conventions through this source.
        from documents.verification import Source, enregistrer_source

        from .documents import convention_par_code, convention_par_empreinte

        enregistrer_source(Source(par_code=convention_par_code, par_empreinte=convention_par_empreinte))
