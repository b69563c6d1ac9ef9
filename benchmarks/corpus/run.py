"""Run the docstring corpus under the SDK's bare mocks, then under Clover's check; classify.

    .venv/bin/python -m benchmarks.corpus.run [--corpus build/corpus] [--jobs 2]
        [--limit N] [--sample N --seed S] [--only PATTERN] [--skip-check]
        [--results build/corpus/results.json] [--no-verdict build/corpus/no-verdict.txt]

Step (a), bare mocks: each program runs under the unit-testing guide's trivial mocks in a forked
child of a pre-imported worker (``baremocks.py``), one worker per job; classified ``ran``,
``error`` (first line) or ``timeout``. Step (b), for each program that ran:
``python -m clover check --cwd DIR --stack test --format json`` in a fresh process, as a user runs
it; classified ``clean`` (exit 0), ``violation`` (exit 1), ``no-verdict`` (exit 2, the last line of
stderr kept), ``timeout`` or ``crash`` (any other exit). The check is run from this interpreter
(the repository's virtualenv).

Writes every result to a JSON file and prints a summary: totals, then the no-verdict causes grouped
by their error line with paths, numbers and quoted names normalised away, with counts and two
example programs each (also written to the ``--no-verdict`` file).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = ROOT / "build" / "corpus"


def programs(corpus: Path) -> list[Path]:
    """Every program directory of the corpus, sorted."""
    return sorted(
        p.parent for p in corpus.rglob("__main__.py") if (p.parent / "Pulumi.yaml").is_file()
    )


def select(
    found: list[Path],
    corpus: Path,
    *,
    only: str | None = None,
    sample: int | None = None,
    seed: int = 0,
    limit: int | None = None,
) -> list[Path]:
    """Filter by ``--only`` (a glob or substring of the corpus-relative path), sample, limit."""
    chosen = found
    if only:
        pattern = only if any(c in only for c in "*?[") else f"*{only}*"
        chosen = [p for p in chosen if fnmatch.fnmatch(str(p.relative_to(corpus)), pattern)]
    if sample is not None:
        # A deterministic sample: the same seed and corpus give the same programs in the same
        # (shuffled) order, so a run stopped early has still measured a random sample.
        chosen = random.Random(seed).sample(chosen, min(sample, len(chosen)))
    if limit is not None:
        chosen = chosen[:limit]
    return chosen


class BareMocksWorker:
    """One ``baremocks.py`` process: programs in on stdin, one JSON line each out."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, str(HERE / "baremocks.py"), str(self.timeout)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                cwd=ROOT,
            )
        return self.process

    def run(self, directory: Path) -> dict[str, Any]:
        process = self._start()
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(f"{directory}\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            # The worker itself died (the child's timeout is enforced inside it); start afresh.
            process.wait()
            self.process = None
            return {"status": "error", "error": "bare-mocks worker died", "seconds": None}
        result: dict[str, Any] = json.loads(line)
        result.pop("dir", None)
        return result

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait()


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def run_check(directory: Path, timeout: float) -> dict[str, Any]:
    """Clover's check on one program, in its own process group so a timeout stops all of it."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "clover", "check", "--cwd", str(directory)]
    process = subprocess.Popen(
        [*command, "--stack", "test", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {
            "status": "timeout",
            "exit": None,
            "error": f"no verdict after {timeout:g} s",
            "seconds": round(time.perf_counter() - start, 3),
        }
    seconds = round(time.perf_counter() - start, 3)
    code = process.returncode
    status = {0: "clean", 1: "violation", 2: "no-verdict"}.get(code, "crash")
    error = None if code in (0, 1) else _last_line(stderr) or f"exit {code}, stderr empty"
    result: dict[str, Any] = {"status": status, "exit": code, "error": error, "seconds": seconds}
    if code in (0, 1):
        try:
            document = json.loads(stdout)
        except ValueError:
            result["status"] = "bad-json"
            result["error"] = f"stdout is not JSON: {stdout[:120]!r}"
        else:
            # What blocked it, to tell a foreign placement from one that could not be proven.
            result["blocked"] = [
                {"policy": d["policy"], "urn": d["urn"], "message": _last_line(d["message"])}
                for d in document.get("diagnostics", [])
                if d.get("enforcementLevel") == "mandatory"
            ]
    return result


_NORMALISERS: list[tuple[re.Pattern[str], str]] = [
    # Type tokens first: ``aws:apigateway/getResource:getResource`` holds a slash.
    (re.compile(r"\b[a-z][a-z0-9_-]*:[A-Za-z0-9_/.-]+:[A-Za-z0-9]+\b"), "<token>"),
    (re.compile(r"(?:[A-Za-z]:)?(?:/[\w.@+-]+)+/?"), "<path>"),
    (re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`"), "<name>"),
    (re.compile(r"\burn:pulumi:\S+"), "<urn>"),
    (re.compile(r"\b0x[0-9a-f]+\b"), "<n>"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "<n>"),
]


_MISSING_MODULE = re.compile(r"No module named '[\w.]+'")


def normalise(line: str) -> str:
    """An error line with paths, quoted names, type tokens and numbers replaced by placeholders.

    A missing module keeps its name: each one is a different dependency the example assumes.
    """
    missing = _MISSING_MODULE.search(line)
    if missing:
        return line[: missing.end()]
    for pattern, placeholder in _NORMALISERS:
        line = pattern.sub(placeholder, line)
    return line


def group(
    results: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], str | None]
) -> list[tuple[str, list[str]]]:
    """(normalised line, programs) for each result ``key`` names, largest group first."""
    groups: dict[str, list[str]] = defaultdict(list)
    for result in results:
        line = key(result)
        if line is not None:
            groups[normalise(line)].append(result["program"])
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


def _check_failure(result: dict[str, Any]) -> str | None:
    check = result.get("check")
    if check and check["status"] not in ("clean", "violation"):
        return f"[{check['status']}] {check['error']}"
    return None


def _mocks_error(result: dict[str, Any]) -> str | None:
    mocks = result["mocks"]
    return None if mocks["status"] == "ran" else f"[{mocks['status']}] {mocks['error']}"


def summary(results: list[dict[str, Any]], corpus: Path) -> tuple[str, str]:
    """(the whole summary, the no-verdict list alone) as text."""
    per_package: Counter[str] = Counter(r["program"].split("/")[0] for r in results)
    mocks = Counter(r["mocks"]["status"] for r in results)
    checked = [r for r in results if r.get("check")]
    verdicts = Counter(r["check"]["status"] for r in checked)
    got = verdicts["clean"] + verdicts["violation"]
    others = [f"{s} {n}" for s, n in sorted(verdicts.items()) if s not in ("clean", "violation")]
    out = [
        f"corpus: {corpus}",
        f"programs run: {len(results)} ("
        + ", ".join(f"{p}: {n}" for p, n in sorted(per_package.items()))
        + ")",
        "bare mocks: " + ", ".join(f"{s} {n}" for s, n in sorted(mocks.items())),
        f"check (of {len(checked)} that ran): verdict {got} (clean {verdicts['clean']}, "
        f"violation {verdicts['violation']})" + "".join(f", {o}" for o in others)
        if checked
        else "check: not run",
    ]
    no_verdict = [f"no verdict from the check: {len(checked) - got} of {len(checked)}"]
    for line, members in group(checked, _check_failure):
        no_verdict.append(f"  {len(members):4d}  {line}")
        no_verdict.extend(f"          e.g. {corpus / m}" for m in members[:2])
    out.extend(["", *no_verdict, "", "bare-mocks errors (the program itself does not run):"])
    for line, members in group(results, _mocks_error)[:25]:
        out.append(f"  {len(members):4d}  {line}")
        out.append(f"          e.g. {members[0]}")
    return "\n".join(out), "\n".join(no_verdict) + "\n"


def _runner(
    args: argparse.Namespace, corpus: Path, total: int, progress: Path
) -> tuple[Callable[[Path], dict[str, Any]], list[BareMocksWorker]]:
    """The per-program job (a bare-mocks worker per thread) and the list of workers it starts."""
    local = threading.local()
    workers: list[BareMocksWorker] = []
    lock = threading.Lock()
    done = 0

    def one(directory: Path) -> dict[str, Any]:
        nonlocal done
        worker = getattr(local, "worker", None)
        if worker is None:
            worker = local.worker = BareMocksWorker(args.mocks_timeout)
            with lock:
                workers.append(worker)
        result: dict[str, Any] = {"program": str(directory.relative_to(corpus))}
        result["mocks"] = worker.run(directory)
        if result["mocks"]["status"] == "ran" and not args.skip_check:
            result["check"] = run_check(directory, args.check_timeout)
        with lock:
            done += 1
            with progress.open("a", encoding="utf-8") as stream:
                stream.write(json.dumps(result) + "\n")
            check = result.get("check") or {}
            print(
                f"[{done}/{total}] {result['program']}: {result['mocks']['status']}"
                + (f", check {check['status']}" if check else ""),
                file=sys.stderr,
                flush=True,
            )
        return result

    return one, workers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, metavar="DIR")
    parser.add_argument("--jobs", type=int, default=2, metavar="N")
    parser.add_argument("--limit", type=int, metavar="N")
    parser.add_argument("--sample", type=int, metavar="N")
    parser.add_argument("--seed", type=int, default=0, metavar="S")
    parser.add_argument("--only", metavar="PATTERN")
    parser.add_argument("--mocks-timeout", type=float, default=60, metavar="SECONDS")
    parser.add_argument("--check-timeout", type=float, default=300, metavar="SECONDS")
    parser.add_argument("--skip-check", action="store_true", help="bare mocks only")
    parser.add_argument("--results", type=Path, metavar="FILE")
    parser.add_argument("--no-verdict", type=Path, metavar="FILE")
    parser.add_argument(
        "--summarise", type=Path, metavar="JSONL", help="summarise a (running) run's progress file"
    )
    args = parser.parse_args(argv)
    corpus = args.corpus.resolve()
    if args.summarise:
        lines = args.summarise.read_text(encoding="utf-8").splitlines()
        text, no_verdict = summary([json.loads(line) for line in lines if line], corpus)
        if args.no_verdict:
            args.no_verdict.write_text(no_verdict, encoding="utf-8")
        print(text)
        return
    chosen = select(
        programs(corpus),
        corpus,
        only=args.only,
        sample=args.sample,
        seed=args.seed,
        limit=args.limit,
    )
    if not chosen:
        raise SystemExit(f"no program selected under {corpus} (run benchmarks.corpus.extract)")

    results_file = args.results or corpus / "results.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    # Each result is also appended here as it arrives, so a long run can be summarised early.
    progress = results_file.with_suffix(".jsonl")
    progress.write_text("", encoding="utf-8")
    one, workers = _runner(args, corpus, len(chosen), progress)
    start = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(one, chosen))
    finally:
        for worker in workers:
            worker.close()
    seconds = time.perf_counter() - start
    text, no_verdict = summary(results, corpus)
    results.sort(key=lambda r: str(r["program"]))
    results_file.write_text(
        json.dumps(
            {
                "argv": sys.argv[1:] if argv is None else argv,
                "seconds": round(seconds, 1),
                "results": results,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    (args.no_verdict or corpus / "no-verdict.txt").write_text(no_verdict, encoding="utf-8")
    print(text)
    print(f"\n{len(results)} programs in {seconds:.0f} s, {args.jobs} jobs; see {results_file}")


if __name__ == "__main__":
    main()
