"""Load benchmark of the collectivités' portal: gunicorn on 127.0.0.1, the demo data, 20 representatives, 60 seconds.

    .venv/bin/python scripts/bench_portal.py [--users 20] [--duration 60] [--pause 1] [--workers 3] [--threads 4]

Each simulated representative logs in once, then loops over its dashboard, one of its convention pages and the
download of its convention's PDF, pausing between clicks like a person (uniformly 0.5 to 1.5 × --pause seconds, as
locust's `between`); `--pause 0` asks as fast as the server answers (saturation, as wrk does). The script prints
requests per second, the median and 95th percentile latency per kind of request, and the errors. Target on a 2-core
machine: pages under 150 ms at the 95th percentile, no error.

It uses a PostgreSQL database of its own (BENCH_DATABASE_URL, default ent_portal_bench on 127.0.0.1, created if
missing), loads the demo (`manage.py load_demo`), gives each demo collectivité a representative's account, and stops
the gunicorn it started.
"""

import argparse
import http.client
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from http.cookies import SimpleCookie
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_PASSWORD = "banc-d-essai-portail-2024"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def environment(database_url: str) -> dict:
    """Production settings (DEBUG off), plain HTTP on the loopback, media files of the benchmark's own."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "False",
            "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "False",
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(BASE_DIR / "var" / "bench-media"),
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def create_database(database_url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    url = urllib.parse.urlsplit(database_url)
    name = url.path.lstrip("/")
    connection = psycopg2.connect(
        dbname="postgres", user=url.username, password=url.password, host=url.hostname, port=url.port or 5432
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_users(env: dict, count: int) -> list[dict]:
    """One representative per demo collectivité, and for each the addresses it will ask for."""
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.urls import reverse

    from collectivites.models import Collectivite, User
    from conventions.models import Convention

    users = []
    # Those whose convention was sent first: most downloads are of the frozen PDF, not of a draft's preview.
    collectivites = sorted(
        Collectivite.objects.filter(conventions__isnull=False).distinct(),
        key=lambda c: (not c.conventions.exclude(document="").exists(), c.pk),
    )
    for index, collectivite in enumerate(collectivites[:count]):
        user, _ = User.objects.update_or_create(
            email=f"bench{index}@portail.demo.ent-ecole.fr",
            defaults={"collectivite": collectivite, "role": User.Role.REPRESENTANT, "first_name": f"Bench {index}"},
        )
        user.set_password(BENCH_PASSWORD)
        user.save()
        conventions = Convention.objects.filter(collectivite=collectivite).order_by("-annee__libelle")
        frozen = conventions.exclude(document="").first() or conventions.first()
        users.append(
            {
                "email": user.email,
                "urls": [
                    ("tableau de bord", reverse("portail:tableau_de_bord")),
                    ("page de convention", reverse("conventions:detail", args=[conventions.first().pk])),
                    ("PDF de convention", reverse("conventions:pdf", args=[frozen.pk])),
                ],
            }
        )
    if len(users) < count:
        raise SystemExit(f"La démonstration n'a que {len(users)} collectivités avec une convention ({count} voulues).")
    return users


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    command = [
        str(Path(PYTHON).parent / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn n'a pas démarré en 30 secondes.")


class Representant:
    """One browser: its cookies (sent whatever their Secure flag: the benchmark speaks plain HTTP) and a connection."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = SimpleCookie()

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes, dict]:
        headers = {"Cookie": "; ".join(f"{k}={v.value}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        return response.status, content, dict(response.headers)

    def login(self, email: str, page: str = "/espace/connexion/", accueil: str = "/espace/") -> None:
        """Logs in through `page` (the portal's, or the admin's), which must send to `accueil`."""
        status, content, _ = self.request("GET", page)
        token = CSRF_RE.search(content.decode()).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": email, "password": BENCH_PASSWORD})
        status, _, headers = self.request("POST", page, form)
        if status != 302 or headers.get("Location") != accueil:
            raise SystemExit(f"Connexion refusée pour {email} (HTTP {status}).")


def run_user(user: dict, port: int, pause: float, ready: threading.Barrier, stop: threading.Event, results: list):
    client = Representant(port)
    if "session" in user:
        # A session opened beforehand (name, value): no password hashing for a hundred logins at once.
        client.cookies[user["session"][0]] = user["session"][1]
    else:
        client.login(user["email"], *user.get("connexion", ()))
    ready.wait()
    index = 0
    # The first click comes at a random moment of the first pause: a hundred people do not click in the same
    # millisecond (all at once, the first requests queue behind each other and make the p95).
    while not stop.wait(random.uniform(0.5, 1.5) * pause if index else random.uniform(0, pause)):
        kind, path = user["urls"][index % len(user["urls"])]
        index += 1
        began = time.perf_counter()
        try:
            status, content, _ = client.request("GET", path)
            ok = status == 200 and (kind != "PDF de convention" or content.startswith(b"%PDF-"))
        except (OSError, http.client.HTTPException):
            # A keep-alive connection the server closed while the client thought: a browser retries once.
            client.connection.close()
            try:
                status, content, _ = client.request("GET", path)
                ok = status == 200
            except (OSError, http.client.HTTPException):
                client.connection.close()
                ok = False
        ended = time.perf_counter()
        results.append((kind, ended - began, ok, ended))


def report(
    results: list, duration: float, limit_ms: float = 150, kinds: tuple = ("tableau de bord", "page de convention")
) -> bool:
    """Prints the table; whether every kind of `kinds` (all kinds if empty) has its p95 under `limit_ms`, no error."""
    by_kind = defaultdict(list)
    for kind, latency, ok in results:
        by_kind[kind].append((latency, ok))
    by_kind["toutes les requêtes"] = [(latency, ok) for _, latency, ok in results]
    if not results:
        print("Aucune requête mesurée.")
        return False
    print(f"{'requêtes':<22}{'nombre':>8}{'req/s':>9}{'médiane':>11}{'95e centile':>14}{'erreurs':>9}")
    target_met = True
    for kind, rows in by_kind.items():
        latencies = [latency * 1000 for latency, _ in rows]
        errors = sum(1 for _, ok in rows if not ok)
        p95 = statistics.quantiles(latencies, n=100)[94] if len(latencies) > 1 else latencies[0]
        print(
            f"{kind:<22}{len(rows):>8}{len(rows) / duration:>9.1f}{statistics.median(latencies):>8.1f} ms"
            f"{p95:>11.1f} ms{errors:>9}"
        )
        if (kind in kinds or not kinds) and kind != "toutes les requêtes" and p95 >= limit_ms:
            target_met = False
        if errors:
            target_met = False
    return target_met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--pause", type=float, default=1.0, help="secondes de réflexion entre deux clics (0 : aucune)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip-load", action="store_true", help="réutiliser la base déjà chargée")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://ent:ent@127.0.0.1:5432/ent_portal_bench")
    env = environment(database_url)
    if not args.skip_load:
        print("Préparation de la base et de la démonstration…", flush=True)
        create_database(database_url)
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo")
    users = prepare_users(env, args.users)

    port = free_port()
    gunicorn = start_gunicorn(env, port, args.workers, args.threads)
    try:
        results: list = []
        # Every representative logs in first; the clock starts when all of them are logged in.
        ready = threading.Barrier(len(users) + 1)
        stop = threading.Event()
        threads = [
            threading.Thread(target=run_user, args=(user, port, args.pause, ready, stop, results), daemon=True)
            for user in users
        ]
        for thread in threads:
            thread.start()
        ready.wait()
        began = time.perf_counter()
        time.sleep(args.duration)
        ended = time.perf_counter()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        measured = [(kind, latency, ok) for kind, latency, ok, at in results if at <= ended]
        print(
            f"\n{len(users)} représentants simultanés pendant {ended - began:.0f} s, pause de {args.pause:g} s entre "
            f"deux clics ; gunicorn {args.workers} processus × {args.threads} fils sur 127.0.0.1 ; {os.cpu_count()} "
            f"cœurs partagés avec le client ; charge moyenne de la machine : {os.getloadavg()[0]:.1f}\n"
        )
        target_met = report(measured, ended - began)
        print("\nObjectif (pages < 150 ms au 95e centile, aucune erreur) :", "atteint" if target_met else "NON atteint")
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)


if __name__ == "__main__":
    main()
