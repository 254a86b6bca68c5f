"""The batch driver: find articles, skip the ones already done, process the rest on an engine, write
their outputs and record them — each article exactly once, even across kills and restarts.

An article's key is the hash of its bytes, the model and the options. Its files are written
atomically, then its document and its `batch_items` row are committed in one transaction: a kill
before the commit means the article is simply done again next time (the translation memory makes that
cheap, and the rewritten files are identical); a kill after it means it is skipped.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from zhen.batch import outputs
from zhen.batch.engines import Engine, WorkerSpec, signature
from zhen.batch.names import OutputNames, display_path
from zhen.errors import InputError
from zhen.store import Store

Progress = Callable[[int], None]


@dataclass
class Summary:
    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[dict] = field(default_factory=list)
    sentences: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        rate = lambda n: round(n / self.seconds, 4) if self.seconds else None  # noqa: E731
        return {"total": self.total, "done": self.done, "skipped": self.skipped, "failed": len(self.failed),
                "failures": self.failed, "sentences": self.sentences, "seconds": round(self.seconds, 2),
                "articles_per_s": rate(self.done), "sentences_per_s": rate(self.sentences)}


def find_articles(spec: str) -> list[Path]:
    """A directory (its *.txt files, recursively) or a glob pattern."""
    p = Path(spec)
    files = sorted(p.rglob("*.txt")) if p.is_dir() else sorted(Path(x) for x in glob.glob(spec, recursive=True))
    files = [f for f in files if f.is_file()]
    if not files and not p.is_dir():
        raise InputError(f"{spec}: no such directory and no file matches")
    return files


def article_key(data: bytes, model: str, options: dict) -> str:
    h = hashlib.sha256(data)
    h.update(json.dumps({"model": model, **options}, sort_keys=True).encode())
    return h.hexdigest()


def _common_root(files: list[Path]) -> Path | None:
    """Where a glob's matches meet, so `d1/x.txt` and `d2/x.txt` are named `d1__x` and `d2__x`."""
    return Path(os.path.commonpath([f.resolve().parent for f in files])) if files else None


class Batch:
    def __init__(self, out_dir: str | Path, store: Store, spec: WorkerSpec, engine: Engine) -> None:
        self.out = Path(out_dir)
        self.store, self.spec, self.engine = store, spec, engine
        self.options: dict[str, object] = {"include_boilerplate": spec.include_boilerplate}
        candidates = spec.settings.candidates()
        if candidates > 1:  # other drafts than the default's: other keys (default keys stay as they were)
            self.options["quality"] = f"best-of-{candidates}"
        self.model = signature(spec)

    def _pending(self, files: list[Path], root: Path | None, summary: Summary) -> Iterator[tuple[str, str, bytes]]:
        done = self.store.batch_items()
        seen: set[str] = set()
        names = OutputNames(self.out)
        for path in files:
            name = names.stem(path, root)
            try:
                data = path.read_bytes()
            except OSError as err:  # unreadable (permissions, vanished): reported, the rest goes on
                summary.failed.append({"article": display_path(path), "reason": f"cannot read: {err.strerror}"})
                continue
            key = article_key(data, self.model, self.options)
            if key in seen:  # the same bytes under another name: done once, under the first name
                summary.skipped += 1
                continue
            seen.add(key)
            row = done.get(key)
            if row and row["status"] == "done" and all((self.out / f).exists() for f in row["outputs"]):
                summary.skipped += 1
                continue
            if row and row["status"] == "failed":  # same bytes, same reason: reported again, not retried
                summary.failed.append({"article": row["name"], "reason": row["error"], "earlier_run": True})
                continue
            names.save()  # before the article is done: a name, once given, is kept
            yield key, name, data

    def run(self, inputs: str,
            progress_factory: Callable[[int], AbstractContextManager[Callable[[int], object]]] | None = None
            ) -> Summary:
        """Process every article under `inputs` not done yet; returns the summary (also `summary.json`)."""
        start = time.perf_counter()
        files = find_articles(inputs)
        root = Path(inputs).resolve() if Path(inputs).is_dir() else _common_root(files)
        self.out.mkdir(parents=True, exist_ok=True)
        outputs.clean_partial(self.out)
        summary = Summary(total=len(files))
        items = list(self._pending(files, root, summary))
        names = {key: name for key, name, _ in items}
        with (progress_factory(len(items)) if progress_factory else _null()) as update:
            for key, _status, result in self.engine.map(items):
                name = names[key]
                if isinstance(result, dict):  # status "ok": the article's document and files
                    written = outputs.write(result, self.out, name)
                    self.store.batch_done(key, name, written, result["seconds"], title=result["title"],
                                          model=result["model"], options={"batch": name, **self.options},
                                          text=result["text"], segments=result["segments"],
                                          alignments=result["alignments"])
                    summary.done += 1
                    summary.sentences += len(result["segments"])
                else:
                    self.store.batch_failed(key, name, str(result))
                    summary.failed.append({"article": name, "reason": result})
                update(1)
        summary.seconds = time.perf_counter() - start
        (self.out / "summary.json").write_text(json.dumps(summary.to_dict(), indent=1, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
        return summary


class _null:
    def __enter__(self) -> Callable[[int], None]:
        return lambda n: None

    def __exit__(self, *exc: object) -> None:
        return None
