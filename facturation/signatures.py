"""Whether an issued titre carries the ordonnateur's electronic signature, read back from its stored PDF.

The file is read through pdf_stocke, which checks it against the SHA-256 recorded at issue: the signature found is
then the one made at issue (pdf_titre signs when a certificate is configured), so it is reported without validating
it again; tests/trust/ validate those signatures cryptographically.
"""

import io

from django.utils import timezone
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from documents.formats import date_longue
from documents.signatures import niveau_affiche, nom_du_certificat

from .models import TitreDePerception
from .pdf import PdfTitreAltere, pdf_stocke

NON_SIGNE = "Non signé (aucun certificat de signature configuré lors de l'émission)"


def etat_signature(titre: TitreDePerception) -> str:
    """ "Signé électroniquement par Sophie Béjean le 10 janvier 2022 : PAdES B-B (…)", or why the titre shows no
    signature."""
    try:
        _, _, content = pdf_stocke(titre)
        signatures = PdfFileReader(io.BytesIO(content)).embedded_regular_signatures
    except PdfTitreAltere as exc:
        return str(exc)
    except OSError:
        return f"Le PDF du titre n° {titre.numero} est introuvable sur le stockage. Prévenez l'administrateur."
    except (PdfError, ValueError, KeyError, TypeError):
        return f"Le PDF du titre n° {titre.numero} est illisible : sa signature ne peut pas être lue."
    if not signatures:
        return NON_SIGNE
    return " ; ".join(_libelle(signature) for signature in signatures) + f" : {niveau_affiche(content)}"


def _libelle(signature) -> str:
    texte = f"Signé électroniquement par {nom_du_certificat(signature.signer_cert)}"
    quand = signature.self_reported_timestamp
    return f"{texte} le {date_longue(timezone.localtime(quand).date())}" if quand else texte
