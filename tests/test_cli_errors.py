"""Every command, given a bad argument or a missing file: a message, a non-zero exit code, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhen.cli import main

README = str(Path(__file__).resolve().parent.parent / "README.md")
MISSING = "/nonexistent/file.txt"

CASES = {
    "segment missing file": (["segment", MISSING], "does not exist"),
    "segment a directory": (["segment", "/"], "directory"),
    "models pull unknown": (["models", "pull", "nope"], "unknown model"),
    "models list bad flag": (["models", "list", "--bogus"], "No such option"),
    "translate nothing": (["translate"], "give either ARTICLE"),
    "translate missing": (["translate", MISSING], "does not exist"),
    "translate presplit missing": (["translate", "--presplit", MISSING, "/tmp/out.txt"], "no such file"),
    "translate embedder as model": (["translate", "--model", "e5-small-q4", README], "embedding model"),
    "translate unknown backend": (["translate", "--backend", "nope", README], "unknown translation backend"),
    "align missing": (["align", MISSING, README], "does not exist"),
    "align bad embedder": (["align", "--embedder", "nope", README, README], "unknown embedding backend"),
    "polish missing": (["polish", "--english", MISSING], "does not exist"),
    "polish parallel without source": (["polish", "--english", README, "--parallel"], "--parallel needs --source"),
    "qe missing": (["qe", "--presplit", MISSING, MISSING], "no such file"),
    "serve bad port": (["serve", "--port", "http"], "not a valid integer"),
    "serve no-auth public": (["serve", "--no-auth", "--host", "0.0.0.0"], "loopback"),
    "keys create zero rpm": (["keys", "create", "x", "--rpm", "0"], "--rpm"),
    "keys revoke unknown": (["keys", "revoke", "nope"], "no active key"),
    "batch missing input": (["batch", "translate", MISSING, "--out", "/tmp/zhen-out"], "no such directory"),
    "batch no out": (["batch", "translate", "/tmp"], "Missing option '--out'"),
    "batch zero workers": (["batch", "translate", "/tmp", "--out", "/tmp/o", "--concurrency", "0"], "--concurrency"),
    "eval align missing": (["eval", "align", "--gold", MISSING, "--pred", MISSING], "does not exist"),
    "eval align not beads": (["eval", "align", "--gold", README, "--pred", README], "not a bead"),
    "eval mt missing": (["eval", "mt", "--hyp", MISSING, "--ref", MISSING], "no such file"),
    "eval run unknown suite": (["eval", "run", "--suite", "nope", "--out", "/tmp/zhen-eval"], "not a known suite"),
}


@pytest.mark.parametrize("args,message", CASES.values(), ids=CASES.keys())
def test_bad_arguments_give_a_message_and_an_exit_code(args, message):
    res = CliRunner().invoke(main, args)
    assert res.exit_code != 0 and isinstance(res.exception, SystemExit), (res.output, res.exception)
    assert message in res.output and "Traceback" not in res.output, res.output


def test_a_bad_setting_is_a_message_too(monkeypatch):
    monkeypatch.setenv("ZHEN_SYNC_CHARS", "many")
    res = CliRunner().invoke(main, ["serve"])
    assert res.exit_code == 2 and "ZHEN_SYNC_CHARS" in res.output, res.output


def test_a_real_process_prints_no_traceback():
    res = subprocess.run([sys.executable, "-m", "zhen.cli", "translate", "--model", "e5-small-q4", README],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "embedding model" in res.stderr and "Traceback" not in res.stderr
