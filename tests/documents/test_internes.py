"""The renderer's caches reach into WeasyPrint's internals: they work only with the release they were verified
against, and another release is said at start-up (documents.W002) instead of silently rendering slower."""

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from documents import glyphes, internes, lignes, marges
from documents.apps import check_weasyprint_verifie


def test_the_installed_weasyprint_is_the_verified_one():
    assert internes.verifiee()
    assert check_weasyprint_verifie() == []


def test_another_weasyprint_warns_and_leaves_the_caches_off(monkeypatch):
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    [warning] = check_weasyprint_verifie()
    assert warning.id == "documents.W002"
    assert "WeasyPrint 71.0 est installé" in warning.msg
    assert internes.VERSION_VERIFIEE in warning.msg
    font_config = FontConfiguration()
    for module in (lignes, glyphes, marges):
        module.memoriser(font_config)
        assert not hasattr(font_config, module.ATTRIBUT), module.__name__
