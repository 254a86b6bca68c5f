"""`zhen translate`, `zhen polish` and `zhen qe`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from zhen.app import factory
from zhen.app.files import translate_file
from zhen.app.polish import polish_english, polish_with_zh
from zhen.app.quality import estimate_lines
from zhen.app.translate import TranslateOptions, translate_article, translate_presplit
from zhen.cli.common import fmt_num, must_exist, progress
from zhen.cli.root import main
from zhen.errors import InputError
from zhen.eval.files import check_parallel, read_lines
from zhen.mt.glossary import load_file
from zhen.text.decode import read_text

FILE_KINDS = (".html", ".htm", ".docx", ".xlf", ".xliff")  # translated into the same kind of file
MODEL_HELP = "model preset (see `zhen models list`; default: ZHEN_MODEL or the default translation model)"


@main.command()
@click.argument("article", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--presplit", nargs=2, type=click.Path(dir_okay=False), metavar="IN_FILE OUT_FILE",
              help="one sentence per line in, exactly as many lines out")
@click.option("--format", "fmt", type=click.Choice(["json", "text", "tsv"]), default="text", show_default=True)
@click.option("--model", default=None, help=MODEL_HELP)
@click.option("--backend", default=None, help="a registered backend name instead of a preset (plugins)")
@click.option("--openai-url", multiple=True, help="use an OpenAI-compatible server instead (repeat to spread load)")
@click.option("--glossary", type=click.Path(exists=True, dir_okay=False), help="CSV or TBX glossary")
@click.option("--include-boilerplate", is_flag=True, help="translate page furniture too")
@click.option("--no-memory", is_flag=True,
              help="use neither the model-output cache nor the translation memory and glossary")
@click.option("--quality", type=click.Choice(["default", "best"]), default=None,
              help="best: several candidates per sentence, chosen by the checks and MBR (about N× slower; "
                   "N = ZHEN_BEST_CANDIDATES, default 4) [default: ZHEN_QUALITY or default]")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="for .html, .docx and XLIFF input: where to write the translated file [default: NAME.en.EXT]")
@click.option("--save", is_flag=True, help="keep the draft as a document of the local store, to review and edit "
              "(`zhen serve --no-auth`, then /review/ID); its id goes to stderr")
def translate(article: str | None, presplit: tuple[str, str] | None, fmt: str, model: str | None,
              backend: str | None, openai_url: tuple[str, ...], glossary: str | None, include_boilerplate: bool,
              no_memory: bool, quality: str | None, output: str | None, save: bool) -> None:
    """Translate a Chinese article (or a presplit file) into an English draft; an .html, .docx or XLIFF
    file comes back as the same kind of file, its markup, inline tags and IDs kept."""
    if bool(article) == bool(presplit):
        raise InputError("give either ARTICLE or --presplit IN_FILE OUT_FILE")
    if presplit:
        must_exist(presplit[0])
    options = TranslateOptions(include_boilerplate=include_boilerplate, quality=quality,  # type: ignore[arg-type]
                               glossary=load_file(glossary) if glossary else None)
    runtime = factory.runtime(model=model, backend=backend, openai_urls=openai_url, memory=not no_memory)
    with progress("translating") as bar:
        if presplit:
            n = translate_presplit(runtime, presplit[0], presplit[1], progress=bar)
            click.echo(f"wrote {n} lines to {presplit[1]}", err=True)
            return
        source = Path(str(article))
        if source.suffix.lower() in FILE_KINDS:
            target = Path(output) if output else source.with_name(f"{source.stem}.en{source.suffix}")
            job, data = translate_file(runtime, source.name, source.read_bytes(), progress=bar)
            target.write_bytes(data)
            click.echo(f"wrote {target} ({len(job.units)} pieces of text translated)", err=True)
            return
        result = translate_article(runtime, read_text(str(article)), options, progress=bar)
    if save:
        doc = result.to_dict()
        doc["id"] = factory.store().save_document("translation", title=doc["title"], model=doc["model"],
                                                  options=doc["options"], text=doc["text"], segments=doc["segments"])
        click.echo(f"saved as document {doc['id']}: review at /review/{doc['id']} on `zhen serve --no-auth`", err=True)
        result_dict = doc
    else:
        result_dict = result.to_dict()
    if fmt == "json":  # the document `POST /v1/translate` answers, field for field
        click.echo(json.dumps(result_dict, ensure_ascii=False, indent=1))
    elif fmt == "tsv":
        click.echo("n\tkind\tqe\tsource\tdraft\treasons")
        for s in result.segments:
            click.echo(f"{s.n}\t{s.kind}\t{fmt_num(s.qe)}\t{s.source}\t{s.draft}\t{','.join(s.reasons)}")
    else:
        click.echo(result.english())


@main.command()
@click.option("--english", "en_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="the poor English")
@click.option("--source", "zh_file", type=click.Path(exists=True, dir_okay=False),
              help="its Chinese source, if there is one")
@click.option("--presplit", is_flag=True, help="files are one sentence per line")
@click.option("--parallel", is_flag=True, help="with --source: line N translates line N (no alignment)")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "tsv"]), default="text", show_default=True,
              help="text: the polished article; json: it and the per-sentence report; tsv: the report")
@click.option("--model", default=None, help=MODEL_HELP)
@click.option("--embedder", default=None, metavar="SPEC", help="embedding model for alignment and meaning checks")
@click.option("--no-memory", is_flag=True,
              help="use neither the model-output cache nor the translation memory and glossary")
def polish(en_file: str, zh_file: str | None, presplit: bool, parallel: bool, fmt: str, model: str | None,
           embedder: str | None, no_memory: bool) -> None:
    """Polish a poor English translation, with its Chinese source or without it, never losing a fact."""
    if parallel and not zh_file:
        raise InputError("--parallel needs --source")
    english = read_text(en_file)
    chinese = read_text(zh_file) if zh_file else None
    runtime = factory.runtime(model=model, memory=not no_memory, embedder_spec=embedder)
    pipe, emb = runtime.pipeline(), runtime.embedder()
    if chinese is not None:
        res = polish_with_zh(chinese, english, pipe, emb, presplit or parallel, parallel)
    else:
        res = polish_english(english, pipe, emb, presplit)
    if fmt == "json":
        click.echo(json.dumps(res.to_dict(), ensure_ascii=False, indent=1))
    elif fmt == "tsv":
        click.echo("id\taction\tscore_before\tscore_after\tbefore\tafter\treasons")
        for p in res.sentences:
            click.echo("\t".join([str(p.id), p.action, fmt_num(p.score_before), fmt_num(p.score_after),
                                   p.before, p.after, "; ".join(p.reasons)]))
    else:
        click.echo(res.text, nl=False)
        changed = sum(p.action not in ("kept", "unaligned") for p in res.sentences)
        click.echo(f"{changed} of {len(res.sentences)} sentences changed", err=True)


@main.command()
@click.option("--presplit", nargs=2, required=True, type=click.Path(dir_okay=False), metavar="SRC_FILE HYP_FILE",
              help="Chinese sources and English candidates, one per line, line-parallel")
@click.option("--format", "fmt", type=click.Choice(["scores", "json"]), default="scores", show_default=True)
@click.option("--model", default=None, help="model preset used for forced decoding")
@click.option("--alternative", "alt_file", type=click.Path(dir_okay=False),
              help="another system's translations of SRC_FILE (line-parallel): adds the consensus feature")
@click.option("--alternative-model", default=None, metavar="PRESET",
              help="translate SRC_FILE with this second model for the consensus feature (e.g. qwen2.5-0.5b-q4)")
def qe(presplit: tuple[str, str], fmt: str, model: str | None, alt_file: str | None,
       alternative_model: str | None) -> None:
    """Reference-free quality estimate (0-1) for every (source, candidate) line pair, same order."""
    src, hyp = read_lines(presplit[0]), read_lines(presplit[1])
    files = {presplit[0]: src, presplit[1]: hyp}
    alts = read_lines(alt_file) if alt_file else None
    if alt_file and alts is not None:
        files[alt_file] = alts
    check_parallel(files)
    translator = factory.translator(model)
    second = factory.translator(alternative_model) if alternative_model and not alt_file else None
    try:
        estimates = estimate_lines(translator, src, hyp, second=second, alternatives=alts)
    finally:
        translator.close()
        if second is not None:
            second.close()
    for e in estimates:
        click.echo(f"{e.score:.4f}" if fmt == "scores" else json.dumps(e.to_dict()))
