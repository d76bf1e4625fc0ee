"""A certificate authority's online services, started by the tests on the loopback: an RFC 3161 timestamp authority
(pyHanko's DummyTimeStamper behind HTTP), an OCSP responder and a CRL (built with `cryptography`), for the
académie's PAdES B-LT signatures. Real HTTP: pyHanko fetches them as it would a real CA's."""

import datetime
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from .pki import Autorite


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class ServicesDeConfiance:
    """`with ServicesDeConfiance() as services:` the CA (`services.autorite`) and its services on a free port."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.autorite = Autorite.creer("AC de test avec services en ligne")
        self.autorite.services_url = self.url
        # RSA: pyHanko's DummyTimeStamper signs with RSA only.
        tsa_key, tsa_cert = self.autorite.signataire(
            "Horodatage de test",
            "Autorité de test",
            ExtendedKeyUsageOID.TIME_STAMPING,
            rsa.generate_private_key(65537, 2048),
        )
        self.horodateur = DummyTimeStamper(
            tsa_cert=_asn1_cert(tsa_cert),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                tsa_key.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            ),
            certs_to_embed=[_asn1_cert(self.autorite.cert)],
        )
        self.requetes: list[str] = []
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/tsa"

    def _tsa(self, body: bytes) -> tuple[str, bytes]:
        response = self.horodateur.request_tsa_response(tsp.TimeStampReq.load(body))
        return "application/timestamp-reply", response.dump()

    def _ocsp(self, body: bytes) -> tuple[str, bytes]:
        request = ocsp.load_der_ocsp_request(body)
        now = datetime.datetime.now(datetime.UTC)
        response = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=self.autorite.issued[request.serial_number],
                issuer=self.autorite.cert,
                algorithm=request.hash_algorithm,
                cert_status=ocsp.OCSPCertStatus.GOOD,
                this_update=now - datetime.timedelta(minutes=1),
                next_update=now + datetime.timedelta(days=1),
                revocation_time=None,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.autorite.cert)
            .sign(self.autorite.key, hashes.SHA256())
        )
        return "application/ocsp-response", response.public_bytes(serialization.Encoding.DER)

    def _crl(self, _body: bytes) -> tuple[str, bytes]:
        now = datetime.datetime.now(datetime.UTC)
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.autorite.cert.subject)
            .last_update(now - datetime.timedelta(minutes=1))
            .next_update(now + datetime.timedelta(days=1))
            .sign(self.autorite.key, hashes.SHA256())
        )
        return "application/pkix-crl", crl.public_bytes(serialization.Encoding.DER)

    def _handler(self):
        services = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: bytes):
                route = {"/tsa": services._tsa, "/ocsp": services._ocsp, "/crl": services._crl}.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                services.requetes.append(self.path)
                content_type, content = route(body)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_POST(self):
                self._answer(self.rfile.read(int(self.headers["Content-Length"])))

            def do_GET(self):
                self._answer(b"")

            def log_message(self, *args):
                pass

        return Handler
