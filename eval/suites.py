"""Named test suites (shared data) or a user directory, as line-parallel source/reference files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zhen.errors import InputError
from zhen.eval.files import check_parallel, read_lines, sha256

# name → (folder under shared/data/mt, source file, reference file)
KNOWN = {
    "flores": ("flores200-devtest", "zho_Hans.devtest", "eng_Latn.devtest"),
    "wmt19": ("wmt19-newstest-zh-en", "newstest2019.zh", "newstest2019.en"),
    "tico19": ("tico19-test-zh-en", "tico19-test.zh", "tico19-test.en"),
}


@dataclass
class Suite:
    name: str
    src_path: Path
    ref_path: Path
    src: list[str]
    ref: list[str]
    docs: list[str] | None  # a document id per line where the suite has them (FLORES: source URL)

    def head(self, limit: int | None) -> Suite:
        if not limit or limit >= len(self.src):
            return self
        docs = self.docs[:limit] if self.docs else None
        return Suite(self.name, self.src_path, self.ref_path, self.src[:limit], self.ref[:limit], docs)

    def describe(self) -> dict:
        return {"name": self.name, "lines": len(self.src),
                "files": {str(p): sha256(p) for p in (self.src_path, self.ref_path)}}


def load(name_or_dir: str, data_dir: Path) -> Suite:
    """A known suite by name (under `data_dir`, the shared data), or a directory holding exactly one `*.zh`
    and one `*.en` file."""
    if name_or_dir in KNOWN:
        folder, src, ref = KNOWN[name_or_dir]
        d = data_dir / "mt" / folder
        src_path, ref_path = d / src, d / ref
        name = name_or_dir
    else:
        d = Path(name_or_dir)
        if not d.is_dir():
            raise InputError(f"{name_or_dir}: not a known suite ({', '.join(KNOWN)}) nor a directory")
        zs, es = sorted(d.glob("*.zh")), sorted(d.glob("*.en"))
        if len(zs) != 1 or len(es) != 1:
            raise InputError(f"{d}: a suite directory needs exactly one *.zh and one *.en file")
        src_path, ref_path, name = zs[0], es[0], d.name
    src_lines, ref_lines = read_lines(src_path), read_lines(ref_path)
    check_parallel({str(src_path): src_lines, str(ref_path): ref_lines})
    docs = _flores_docs(src_path.parent, len(src_lines)) if name == "flores" else None
    return Suite(name, src_path, ref_path, src_lines, ref_lines, docs)


def _flores_docs(folder: Path, n: int) -> list[str] | None:
    meta = folder / "metadata_devtest.tsv"
    if not meta.exists():
        return None
    rows = meta.read_text(encoding="utf-8").splitlines()[1:]
    urls = [r.split("\t")[0] for r in rows]
    return urls if len(urls) == n else None
