#!/usr/bin/env python
"""Benchmark of the yearly campaign at académie scale, on real Celery workers.

Loads an académie-sized data set (1,300 schools, 600 collectivités, each with a signed convention of 2021-2022) into
a database of its own, prepares 2022-2023, then renders, freezes and sends every convention of the new year on a
Celery worker with 2 prefork processes (Redis broker). Prints the total seconds, conventions per second, and the
peak memory of each worker process, with its resident memory along the run (to show it stays flat).

    bash scripts/services.sh            # PostgreSQL and Redis on this machine
    .venv/bin/python scripts/bench_campaign.py [--collectivites 600] [--ecoles 1300] [--concurrency 2]

The database `ent_bench` (dropped and created again) and Redis database 8 are the benchmark's own.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://ent:ent@127.0.0.1:5432/ent"
BROKER_URL = "redis://127.0.0.1:6379/8"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--collectivites", type=int, default=600)
    parser.add_argument("--ecoles", type=int, default=1300)
    parser.add_argument("--concurrency", type=int, default=2, help="processus du worker Celery")
    parser.add_argument("--database", default="ent_bench", help="base créée pour la mesure (détruite d'abord)")
    return parser.parse_args()


def recreate_database(name: str) -> str:
    """Drops and creates the benchmark's database next to DATABASE_URL's; returns its URL."""
    import psycopg2

    base = urllib.parse.urlsplit(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    connection = psycopg2.connect(base.geturl())
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return base._replace(path=f"/{name}").geturl()


def configure_environment(database_url: str, workdir: Path, broker_url: str = BROKER_URL) -> dict:
    """The same settings for this process and the worker: production mode (DEBUG off keeps no query log)."""
    env = {
        "DATABASE_URL": database_url,
        "DEBUG": "False",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "localhost",
        "MEDIA_ROOT": str(workdir / "media"),
        "EMAIL_URL": f"filemail:///{workdir / 'mails'}",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "False",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    os.environ.update(env)
    return {**os.environ, **env}


class MemorySampler(threading.Thread):
    """Samples the resident memory of the worker's pool processes (children of its main process) every 0.2 s."""

    def __init__(self, parent_pid: int):
        super().__init__(daemon=True)
        self.parent_pid = parent_pid
        self.samples: dict[int, list[tuple[float, int]]] = {}
        self.peaks: dict[int, int] = {}
        self.stopped = threading.Event()

    def children(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.parent_pid:
                    pids.append(int(entry.name))
        return pids

    def cpu_seconds(self) -> float:
        """CPU time used so far by the pool processes (user + system): what the rendering cost, whatever the load."""
        total = 0
        for pid in self.children():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def status(pid: int) -> dict[str, int]:
        values = {}
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                values[key] = int(value.split()[0])  # kB
        return values

    def run(self):
        pids, listes_le = [], 0.0
        while not self.stopped.wait(0.2):
            # Reading all of /proc costs ~3 ms of the machine being measured: the pool's processes (replaced rarely)
            # are listed every 2 s, not at every sample.
            if time.monotonic() - listes_le > 2:
                pids, listes_le = self.children(), time.monotonic()
            for pid in pids:
                try:
                    values = self.status(pid)
                except OSError:
                    continue
                self.samples.setdefault(pid, []).append((time.monotonic(), values["VmRSS"]))
                self.peaks[pid] = max(self.peaks.get(pid, 0), values["VmHWM"])


def start_worker(
    env: dict, concurrency: int, log_path: Path, name: str = "bench", queues: str = "", app: str = "config"
) -> subprocess.Popen:
    """A Celery worker of `concurrency` prefork processes, consuming `queues` (comma-separated; the default queue)."""
    log = log_path.open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@%h",
            *(["-Q", queues] if queues else []),
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"Le worker Celery n'a pas démarré :\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    return worker


def wait_for(traitement, label: str, timeout: float | None = None) -> tuple[float, dict]:
    """Seconds until the batch is finished (or `timeout` seconds), and its counters; progress shown on a terminal."""
    debut, tty = time.monotonic(), sys.stdout.isatty()
    while True:
        if timeout is not None and time.monotonic() - debut > timeout:
            print(f"\r{label} : arrêté après {timeout:.0f} s, {traitement.compteurs()}")
            return time.monotonic() - debut, traitement.compteurs()
        traitement.refresh_from_db()
        compteurs = traitement.compteurs()
        if tty:
            print(f"\r{label} : {compteurs['faits'] + compteurs['echecs']}/{compteurs['total']}", end="", flush=True)
        if traitement.termine_le is not None:
            duree = time.monotonic() - debut
            print(f"\r{label} : {compteurs['faits']} faits, {compteurs['echecs']} échecs en {duree:.1f} s")
            for element in traitement.elements.filter(etat="echec").select_related("convention")[:5]:
                print(f"  échec {element.convention.reference} : {element.message}")
            return duree, compteurs
        time.sleep(0.25)


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ent-bench-"))
    database_url = recreate_database(args.database)
    env = configure_environment(database_url, workdir)
    (workdir / "mails").mkdir()

    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from conventions.campagne import lancer_envoi, lancer_preparation
    from conventions.models import AnneeScolaire, Convention
    from tests.campagne.donnees import charger_academie

    redis.Redis.from_url(BROKER_URL).flushdb()
    call_command("migrate", verbosity=0)
    debut = time.monotonic()
    jeu = charger_academie(nb_collectivites=args.collectivites, nb_ecoles=args.ecoles)
    print(
        f"Données : {jeu.nb_ecoles} écoles, {args.collectivites} collectivités, {jeu.nb_conventions} conventions "
        f"signées en {jeu.annee} ({time.monotonic() - debut:.1f} s)"
    )

    worker = start_worker(env, args.concurrency, workdir / "worker.log")
    sampler = MemorySampler(worker.pid)
    sampler.start()
    try:
        duree_preparation, _ = wait_for(lancer_preparation("2022-2023", jeu.annee), "Préparation")
        conventions = Convention.objects.filter(annee=AnneeScolaire.objects.get(libelle="2022-2023"))
        nb = conventions.count()
        debut_rendu, cpu_avant = time.monotonic(), sampler.cpu_seconds()
        [envoi] = lancer_envoi(conventions)
        duree_rendu, compteurs = wait_for(envoi, "Rendu, gel et envoi")
        fin_rendu, cpu = time.monotonic(), sampler.cpu_seconds() - cpu_avant
    finally:
        sampler.stopped.set()
        worker.terminate()
        worker.wait(60)

    print()
    print(f"Préparation de l'année ({nb} conventions) : {duree_preparation:.1f} s")
    rendues = compteurs["faits"]
    print(
        f"Rendu, gel du PDF et e-mail : {duree_rendu:.1f} s pour {nb} conventions ({rendues} rendues, "
        f"{compteurs['echecs']} refusées), {args.concurrency} processus ; charge de la machine : "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(f"Débit : {rendues / duree_rendu:.2f} conventions par seconde")
    print(
        f"Temps processeur des processus du worker : {cpu:.1f} s, soit {cpu / max(rendues, 1):.2f} s par convention "
        f"(sur une machine libre : environ {cpu / args.concurrency:.0f} s avec {args.concurrency} processus)"
    )
    for rang, pid in enumerate(sorted(sampler.peaks), start=1):
        pendant = [rss for moment, rss in sampler.samples[pid] if debut_rendu <= moment <= fin_rendu]
        quartiles = [pendant[min(len(pendant) - 1, int(len(pendant) * q))] // 1024 for q in (0.1, 0.5, 0.9, 1)]
        print(
            f"Processus {rang} (pid {pid}) : mémoire de pointe {sampler.peaks[pid] / 1024:.0f} Mo ; "
            f"mémoire résidente à 10/50/90/100 % du rendu : {' / '.join(map(str, quartiles))} Mo"
        )
    envoyees = len(list((workdir / "media" / "conventions" / "envoyees").iterdir()))
    print(f"PDF figés sur disque : {envoyees} ; dossier de travail : {workdir}")


if __name__ == "__main__":
    main()
