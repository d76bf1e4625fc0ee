"""A test PKI (root, the académie's certificate, a collectivité's), conventions sent for signature, signing helpers."""

import io

import pytest
from django.core.cache import cache
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from conventions.services import envoyer_pour_signature
from tests.factories import ConventionFactory

from .pki import PASSPHRASE, Autorite


@pytest.fixture(scope="session")
def autorite():
    return Autorite.creer()


@pytest.fixture
def certificat_academie(settings, tmp_path, autorite):
    """The académie's PKCS#12 configured as a deployment would: a file and its passphrase."""
    path = autorite.pkcs12(tmp_path / "academie.p12", "Sophie Béjean", "Académie de Montpellier")
    settings.SIGNATURE_PKCS12_PATH = str(path)
    settings.SIGNATURE_PKCS12_PASSPHRASE = PASSPHRASE.decode()
    return path


@pytest.fixture(scope="session")
def autre_autorite():
    """The collectivités' certificates come from other CAs than the académie's."""
    return Autorite.creer("AC de test des collectivités")


@pytest.fixture
def signataire_collectivite(tmp_path, autre_autorite):
    path = autre_autorite.pkcs12(tmp_path / "maire.p12", "Agathe Ménard", "Commune de Martynec")
    return signers.SimpleSigner.load_pkcs12(str(path), passphrase=PASSPHRASE)


def signer_comme_collectivite(pdf: bytes, signer, field: str = "Signature collectivite") -> bytes:
    """What the collectivité's signing software does: a PAdES signature added as an incremental update."""
    pades = fields.SigSeedSubFilter.PADES
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=pades, md_algorithm="sha256")
    output = io.BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=output)
    return output.getvalue()


@pytest.fixture
def envoyee(db):
    """A convention sent for signature: its frozen PDF carries a verification code."""
    return envoyer_pour_signature(ConventionFactory(ecoles=2))


def envoye(convention) -> bytes:
    with convention.document.open("rb") as stored:
        return stored.read()


@pytest.fixture(autouse=True)
def cache_vide():
    """The verification page's rate limit counts in the cache: each test starts from zero."""
    cache.clear()
    yield
    cache.clear()
