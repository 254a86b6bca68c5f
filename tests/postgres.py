"""A throwaway PostgreSQL server for the store tests: Debian's `postgresql` package (installed by
`.ci/run`), a cluster made with `initdb` in a temporary folder, started with `pg_ctl` on a free loopback
port and stopped at the end. Each test gets its own database in it."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
from pathlib import Path

from server import free_port


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/VERSION/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


class Cluster:
    def __init__(self, root: Path) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin, self.root, self.port = bin_dir, root, free_port()
        self.data = root / "data"
        self._names = itertools.count()
        # initdb refuses to run as root; Debian's package makes the `postgres` user for this
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> Cluster:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.prefix:
            shutil.chown(self.root, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "zhen", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c max_connections=200", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://zhen@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
