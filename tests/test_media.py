"""Media (frozen PDFs, signed copies, titres) are reached only through views that check who asks (issue 12)."""

import importlib

import pytest
from django.urls import Resolver404, URLResolver
from django.urls.resolvers import RegexPattern

import config.urls


@pytest.mark.parametrize("debug", [False, True])
def test_media_are_never_served_by_django_itself(settings, debug):
    """Not even with DEBUG on: a file name found in a log or a history row gives nothing without a permission."""
    settings.DEBUG = debug
    try:
        urls = importlib.reload(config.urls)
        resolver = URLResolver(RegexPattern(r"^/"), urls)
        for path in ("/media/conventions/signees/x.pdf", "/media/titres/2022/x.pdf", f"/{settings.MEDIA_URL}x.pdf"):
            with pytest.raises(Resolver404):
                resolver.resolve(path)
    finally:
        settings.DEBUG = False
        importlib.reload(config.urls)
