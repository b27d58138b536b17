"""Package search on the real Fedora catalog: relevance, latency and reindex time.

Run with ``.venv/bin/python bench/search.py`` (about two minutes). It reads
``../shared/data/fedora_rawhide_packages.jsonl.gz`` (or ``--data DIR``), and:

1. rebuilds the embedded index (:class:`gateway.search.embedded.EmbeddedSearchIndex`) from
   the 23,184 source packages' documents in a temporary directory;
2. scores the judged queries of ``tests/search/judged.toml`` (MRR and recall@5; target MRR
   at least 0.9) for the embedded engine and, in the same run, for the baseline: the
   gateway's search before this engine, exact name then names starting with the query
   (case-insensitively, the first 500 by name as koji's ``listPackages`` answers), shortest
   first;
3. times searches (p50/p99; target p99 at most 20 ms) over the judged queries and a sample
   drawn from the catalog: names, sub-package names, prefixes of two to eight characters,
   names with a typo, two words of a summary, and one-letter queries;
4. reports the index's size on disk and the process's peak RSS;
5. times a full ``fedora-gateway reindex`` from the upstreams (target: at most 60 s): the
   real catalog served by ``fedora-gateway simulate --catalog real`` in one process,
   ``reindex`` in another reading koji's listings, mdapi's descriptions (one request per
   package) and dist-git's owners, then building and swapping in the index; with its peak
   RSS. ``--no-upstreams`` skips it.

``--dump-queries FILE`` writes the latency queries as JSON, so another engine can be timed
on the same ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.search.embedded import EmbeddedSearchIndex
from gateway.search.normalize import words
from gateway.search.port import PackageDocument
from tests.search.catalog import PACKAGES_FILE, default_data_dir, load_documents, stream
from tests.search.relevance import Judged, Scores, evaluate, load_judged

TARGET_MRR = 0.9
TARGET_P99_MS = 20.0
TARGET_REINDEX_S = 60.0


class PrefixBaseline:
    """The gateway's search before this engine: exact name, then prefixes, shortest first."""

    def __init__(self, documents: Sequence[PackageDocument]) -> None:
        self.names = sorted(d.name for d in documents)

    async def search(self, text: str) -> list[str]:
        text = text.strip()
        exact = [text] if text in self.names else []
        folded = text.casefold()
        prefixed = [n for n in self.names if n.casefold().startswith(folded)][:500]
        return exact + sorted((n for n in prefixed if n != text), key=lambda n: (len(n), n))


def latency_queries(documents: Sequence[PackageDocument], judged: Sequence[Judged]) -> list[str]:
    rng = random.Random(45)
    picked = rng.sample(list(documents), 300)
    subs = [s for d in documents for s in d.subpackages]
    queries = [q.text for q in judged]
    queries += [d.name for d in picked[:100]]
    queries += rng.sample(subs, 100)
    queries += [d.name[: rng.randint(2, 8)] for d in picked[100:200]]
    queries += [_typo(rng, d.name) for d in picked[200:300] if len(d.name) >= 5]
    for document in rng.sample(list(documents), 100):
        summary = [w for w in words(document.summary) if len(w) > 2]
        if len(summary) >= 2:
            start = rng.randrange(len(summary) - 1)
            queries.append(" ".join(summary[start : start + 2]))
    queries += list("abcdefghijklmnopqrstuvwxyz")[:10]
    return queries


def _typo(rng: random.Random, name: str) -> str:
    at = rng.randrange(1, len(name) - 1)
    kind = rng.choice(("drop", "swap", "change"))
    if kind == "drop":
        return name[:at] + name[at + 1 :]
    if kind == "swap":
        return name[: at - 1] + name[at] + name[at - 1] + name[at + 1 :]
    return name[:at] + rng.choice("aeiourst") + name[at + 1 :]


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def _disk_usage(directory: Path) -> int:
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())


def reindex_from_upstreams(data: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of ``fedora-gateway reindex`` against the real catalog."""
    command = Path(sys.executable).with_name("fedora-gateway")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    simulator = subprocess.Popen(
        [str(command), "simulate", "--port", str(port), "--catalog", str(data)],
        env={**os.environ, "GATEWAY_AMQP_URL": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/_sim/world", timeout=2).read()
                break
            except OSError:
                if simulator.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the simulator did not start") from None
                time.sleep(0.5)
        with tempfile.TemporaryDirectory(prefix="bench-reindex-") as tmp:
            env = {
                **os.environ,
                "GATEWAY_KOJI_URL": f"{url}/kojihub",
                "GATEWAY_MDAPI_URL": f"{url}/mdapi",
                "GATEWAY_BODHI_URL": f"{url}/bodhi",
                "GATEWAY_BUGZILLA_URL": f"{url}/bugzilla",
                "GATEWAY_PAGURE_URL": f"{url}/pagure",
                "GATEWAY_SEARCH_DIR": tmp,
            }
            env.pop("GATEWAY_ELASTICSEARCH_URL", None)
            begun = time.perf_counter()
            subprocess.run([str(command), "reindex"], env=env, check=True, capture_output=True)
            seconds = time.perf_counter() - begun
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return seconds, peak_mb
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def run(data: Path, dump: Path | None, upstreams: bool) -> None:
    started = time.perf_counter()
    documents = load_documents(data / PACKAGES_FILE)
    subpackages = sum(len(d.subpackages) for d in documents)
    print(
        f"catalog: {len(documents)} source packages, {subpackages} sub-packages,"
        f" read in {time.perf_counter() - started:.1f}s"
    )
    judged = load_judged()
    queries = latency_queries(documents, judged)
    if dump:
        _write(dump, json.dumps(queries))

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        index = EmbeddedSearchIndex(Path(tmp))
        await index.start()
        try:
            report = await index.rebuild(stream(documents))
            disk = _disk_usage(Path(tmp))

            async def embedded(text: str) -> list[str]:
                return [hit.name for hit in (await index.search(text)).hits]

            ours = await evaluate(embedded, judged)
            baseline = await evaluate(PrefixBaseline(documents).search, judged)
            for text in queries[:50]:  # warm the page cache and the connection pool
                await index.search(text)
            timings = []
            for text in queries:
                begun = time.perf_counter()
                await index.search(text)
                timings.append((time.perf_counter() - begun) * 1000)
        finally:
            await index.close()

    p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reindex = reindex_from_upstreams(data) if upstreams else None
    print()
    _relevance_table(ours, baseline)
    print()
    print(f"{'measure':<34}{'value':>12}  {'target':<12}")
    _row("index build from documents (s)", report.seconds, "", True)
    if reindex is not None:
        seconds, reindex_mb = reindex
        target = f"<= {TARGET_REINDEX_S:.0f}"
        _row("reindex from the upstreams (s)", seconds, target, seconds <= TARGET_REINDEX_S)
        _row("reindex peak RSS (MB)", reindex_mb, "", True)
    _row("MRR, embedded", ours.mrr, f">= {TARGET_MRR}", ours.mrr >= TARGET_MRR)
    _row(f"search p50 (ms, {len(timings)} queries)", p50, "", True)
    _row(f"search p99 (ms, {len(timings)} queries)", p99, f"<= {TARGET_P99_MS:.0f}", p99 <= 20)
    _row("index on disk (MB)", disk / 2**20, "", True)
    _row("peak RSS of this process (MB)", peak_mb, "", True)
    misses = ours.misses()
    if misses:
        print("\nembedded: judged queries not answered first")
        for outcome in misses:
            print(f"  {outcome.query.text!r}: rank {outcome.rank}, top {list(outcome.top[:3])}")


def _relevance_table(ours: Scores, baseline: Scores) -> None:
    print(f"{'judged queries':<24}{'n':>4}{'MRR':>10}{'base MRR':>10}{'R@5':>8}{'base R@5':>10}")
    rows = [("all", ours, baseline)]
    base_kinds = baseline.by_kind()
    rows += [(kind, scores, base_kinds[kind]) for kind, scores in ours.by_kind().items()]
    for label, mine, theirs in rows:
        print(
            f"{label:<24}{len(mine.outcomes):>4}{mine.mrr:>10.3f}{theirs.mrr:>10.3f}"
            f"{mine.recall_at_5:>8.3f}{theirs.recall_at_5:>10.3f}"
        )


def _row(label: str, value: float, target: str, ok: bool) -> None:
    verdict = "ok" if ok else "MISSED"
    print(f"{label:<34}{value:>12.2f}  {target:<12}{verdict if target else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=default_data_dir(), help="the shared data directory"
    )
    parser.add_argument(
        "--dump-queries", type=Path, default=None, help="write the latency queries here"
    )
    parser.add_argument(
        "--no-upstreams",
        action="store_true",
        help="skip the reindex from the simulated upstreams (about a minute)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.data, args.dump_queries, not args.no_upstreams))


if __name__ == "__main__":
    main()
