"""The client's address, as django-axes (lockouts) and django-ratelimit (rate limits) count it.

Behind reverse proxies every request comes from the nearest proxy: REMOTE_ADDR is its address, and the client's is in
X-Forwarded-For, to which each proxy appends the address it received the request from. Anyone can send that header,
so only the entries written by trusted proxies are believed (settings.TRUSTED_PROXIES):
- no trusted proxy (the default): the header is ignored, the address is REMOTE_ADDR;
- a count N: the request crossed N proxies, the last one being REMOTE_ADDR; the client is the entry that the
  outermost proxy appended, N-th from the right of the chain « X-Forwarded-For, REMOTE_ADDR »;
- networks: the chain is read from the right, skipping the addresses of the trusted networks; the first other one
  is the client.
What a client writes itself stays on the left of the chain, where it is never read.
"""

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Reseaux = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def lire_proxies(valeur: str) -> int | Reseaux:
    """TRUSTED_PROXIES: empty or 0 (no proxy), a number of proxies, or networks separated by commas."""
    valeur = valeur.strip()
    if not valeur:
        return 0
    if valeur.isdigit():
        return int(valeur)
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in valeur.split(",") if part.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"Variable d'environnement TRUSTED_PROXIES invalide : « {valeur} » (un nombre de proxys, ou des adresses "
            "ou réseaux séparés par des virgules, par exemple 10.0.0.0/8,192.0.2.10)."
        ) from exc


def _adresse(texte: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(texte.strip())
    except ValueError:
        return None


def adresse_client(request) -> str:
    distante = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if not proxies:
        return distante
    chaine = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    chaine.append(distante)
    if isinstance(proxies, int):
        # Fewer entries than proxies: the request did not come through them; only the connection's address is sure.
        candidat = chaine[-proxies - 1] if len(chaine) > proxies else distante
    else:
        candidat = chaine[0]
        for texte in reversed(chaine):
            adresse = _adresse(texte)
            if adresse is None or not any(adresse in reseau for reseau in proxies):
                candidat = texte
                break
    adresse = _adresse(candidat)
    return str(adresse) if adresse is not None else distante
