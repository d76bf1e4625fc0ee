"""A test certificate authority made with `cryptography`: a root, and signer certificates written as PKCS#12."""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import UniformResourceIdentifier
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

PASSPHRASE = b"phrase-de-passe-de-test"


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass
class Autorite:
    """A root CA that issues signer certificates. With `services_url` (tests/trust/services.py), the certificates
    it issues name its OCSP responder and its CRL there, as a real CA's do."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    services_url: str = ""
    issued: dict = field(default_factory=dict)

    @classmethod
    def creer(cls, nom: str = "AC racine de test ENT-école") -> "Autorite":
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        name = _name(nom, "Autorité de test")
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def racine(self) -> asn1_x509.Certificate:
        """The root as pyHanko's validation takes it."""
        return asn1_x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))

    def signataire(
        self, nom: str, organisation: str, usage=ExtendedKeyUsageOID.EMAIL_PROTECTION, key=None
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = key or ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(nom, organisation))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            # A timestamping certificate must say so, alone and critically (RFC 3161, 2.3).
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=usage == ExtendedKeyUsageOID.TIME_STAMPING)
        )
        if self.services_url:
            builder = builder.add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP, UniformResourceIdentifier(f"{self.services_url}/ocsp")
                        )
                    ]
                ),
                critical=False,
            ).add_extension(
                x509.CRLDistributionPoints(
                    [x509.DistributionPoint([UniformResourceIdentifier(f"{self.services_url}/crl")], None, None, None)]
                ),
                critical=False,
            )
        cert = builder.sign(self.key, hashes.SHA256())
        self.issued[cert.serial_number] = cert
        return key, cert

    def pkcs12(self, path: Path, nom: str, organisation: str, passphrase: bytes = PASSPHRASE) -> Path:
        """A signer's key, certificate and this root in a PKCS#12 file, as a deployment would configure it."""
        key, cert = self.signataire(nom, organisation)
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                nom.encode(), key, cert, [self.cert], serialization.BestAvailableEncryption(passphrase)
            )
        )
        return path
