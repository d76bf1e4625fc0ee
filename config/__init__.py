# Loaded with Django so that `@shared_task` binds to this application in web processes and in workers alike.
from .celery import app as celery_app

__all__ = ("celery_app",)
