from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Background work, the one mechanism of the project: a job and its items, their states, queuing on the Celery
    workers, each item run once whatever the redeliveries; and the reading of CSV files with line-numbered reports.

    At the bottom of the dependency chain: it names no domain app. The campaign's batches (conventions) and the
    reference-data imports (collectivites, ecoles) are built on it."""

    name = "jobs"
    verbose_name = "Traitements en arrière-plan"
