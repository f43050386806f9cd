"""Turns the benches' JSON (bench_py.py; bench/go) into bench/results/peers.md and one PNG chart
per language and workload.

python report.py OUT.md CHART_DIR PYTHON.json [GO.json ...]
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from typing import Any

PEERS = ("obstore", "opendal", "boto3", "gocloud", "object_store")
COLORS = {"kvps": "#1f77b4", "kvps fsync": "#aec7e8", "obstore": "#ff7f0e", "opendal": "#2ca02c",
          "boto3": "#d62728", "gocloud": "#9467bd", "object_store": "#ff7f0e", "limit": "#7f7f7f"}
LANGS = {"python": "Python", "go": "Go", "rust": "Rust"}
BACKENDS = ("memory", "file", "s3")


def fmt(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main() -> None:
    out_md, chart_dir, *sources = sys.argv[1:]
    docs = []
    for src in sources:
        with open(src) as f:
            docs.append(json.load(f))
    meta = docs[0].get("meta", docs[0])
    lines: list[str] = []
    w = lines.append
    date = meta.get("date") or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = os.environ.get("KVPS_BENCH_LOAD")  # bench/run: the load averages before and after
    w("# kvps beside its peers, in one run")
    w("")
    w(f"{date}; {meta.get('machine') or machine()}"
      + (f"; load average (1 min) {load}" if load else "")
      + ". s3:// is one local MinIO (tests/s3/servers.sh), the same for every language. Command: "
      f"`bench/run{' --smoke' if meta.get('smoke') else ''}`.")
    w("")
    w("Each cell: median of the repetitions (see each language's line), min-max in brackets; the "
      "implementations alternate within each repetition (a different one first each time), so "
      "load on the shared machine hits all alike and only ratios from the same run are worth "
      "comparing. Higher is better except peak RSS (MiB above the process's own just before the "
      "stream, in a fresh process). **kvps / best peer**: above 1 kvps is faster (for RSS, below "
      "1 is smaller). **kvps / limit**: the same work with no store library, from the same "
      "language (a dict or map behind a lock for memory://; open/write/rename, read, stat, "
      "unlink, scandir for file://, no fsync); none for s3:// here (bench/s3, in C, measures "
      "kvps against raw libcurl). On file:// kvps runs with `fsync=false`, as the peers (which "
      "do not fsync); `kvps fsync` is its default, its own row, not in the ratios. On s3:// kvps "
      "runs with `unsigned_payload=true`, its default over https (plain http here signs the "
      "body's SHA-256 by default; a CRC32C guards every write either way). Python and "
      "Rust use 1 and 16 threads (Rust's async peers: 16 tokio tasks on a multi-thread "
      "runtime); Go 1 and 16 goroutines.")
    w("")
    summary: list[tuple[str, str, str, float]] = []
    chart_links: list[str] = []
    for doc in docs:
        lang = doc.get("lang", "python")
        dm = doc.get("meta", doc)
        table: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        units: dict[str, str] = {}
        for r in doc["results"]:
            table[(r["backend"], r["workload"])][r["impl"]].append(r["value"])
            units[r["workload"]] = r["unit"]
        vv = dm["versions"]
        w(f"## {LANGS[lang]}")
        w("")
        reps = dm.get("reps")
        w("Versions: " + ", ".join(f"{k} {x}" for k, x in sorted(vv.items())) + f". Counts: {json.dumps(dm['counts'])}"
          + (f"; {reps} repetitions" if reps else "") + f"; {dm['seconds']} s.")
        w("")
        for backend in BACKENDS:
            rows = [(wl, impls) for (b, wl), impls in table.items() if b == backend]
            if not rows:
                continue
            names = list(rows[0][1].keys())
            order = [n for n in ("kvps", "kvps fsync", *PEERS, "limit") if n in names]
            has_limit = "limit" in order
            w(f"### {LANGS[lang]}, {backend}://")
            w("")
            w("| workload | unit | " + " | ".join(order) + " | kvps / best peer |" + (" kvps / limit |" if has_limit else ""))
            w("|---|---|" + "---|" * len(order) + "---|" + ("---|" if has_limit else ""))
            for wl, impls in rows:
                unit = units[wl]
                med = {n: statistics.median(impls[n]) for n in order if impls.get(n)}
                cells = [f"{fmt(med[n])} ({fmt(min(impls[n]))}-{fmt(max(impls[n]))})" if n in med else "-" for n in order]
                lower_better = unit == "MiB"
                peers = [med[n] for n in PEERS if n in med]
                best = (min(peers) if lower_better else max(peers)) if peers else None
                ratio = med["kvps"] / best if best else None
                limit = med["kvps"] / med["limit"] if "limit" in med and med["limit"] > 0 else None
                good = ratio is not None and ((ratio <= 1) if lower_better else (ratio >= 1))
                r_text = "-" if ratio is None else (f"{ratio:.2f}" if good else f"**{ratio:.2f}**")
                w(f"| {wl} | {unit} | " + " | ".join(cells) + f" | {r_text} |"
                  + ((f" {'-' if limit is None else f'{limit:.2f}'} |") if has_limit else ""))
                if ratio is not None and not good:
                    summary.append((LANGS[lang], backend, wl, ratio))
            w("")
        names = charts(lang, table, units, chart_dir)
        chart_links.append(f"{LANGS[lang]}: " + ", ".join(f"[{wl}](peers/{f})" for wl, f in names))
    w("## Where kvps is behind the best peer in this run")
    w("")
    for lang, b, wl, r in summary:
        w(f"- {lang}, {b}://, {wl}: {r:.2f}")
    if not summary:
        w("- nowhere")
    w("")
    w("## Charts")
    w("")
    w("One per workload: every backend and implementation, median with min-max whiskers.")
    w("")
    for link in chart_links:
        w(f"- {link}")
    w("")
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    if os.path.exists(notes):  # the why, written by hand after reading a run
        with open(notes) as f:
            lines += ["", f.read().rstrip()]
    with open(out_md, "w") as f:
        f.write("\n".join(lines) + "\n")


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Linux {os.uname().release}"


def charts(lang: str, table: Any, units: dict[str, str], chart_dir: str) -> list[tuple[str, str]]:
    """One PNG per workload of one language; returns (workload, file name)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(chart_dir, exist_ok=True)
    for old in os.listdir(chart_dir):
        if old.startswith(lang + "-") and old.endswith(".png"):
            os.remove(os.path.join(chart_dir, old))
    made = []
    for wl in dict.fromkeys(wl for _, wl in table):
        backends = [b for b in BACKENDS if (b, wl) in table]
        impls = [n for n in COLORS if any(n in table[(b, wl)] for b in backends)]
        fig, ax = plt.subplots(figsize=(7, 3.6))
        width = 0.8 / len(impls)
        for j, n in enumerate(impls):
            xs, meds, lo, hi = [], [], [], []
            for i, b in enumerate(backends):
                vals = table[(b, wl)].get(n)
                if not vals:
                    continue
                m = statistics.median(vals)
                xs.append(i + (j - (len(impls) - 1) / 2) * width)
                meds.append(m)
                lo.append(m - min(vals))
                hi.append(max(vals) - m)
            ax.bar(xs, meds, width, yerr=[lo, hi], label=n, color=COLORS[n], capsize=2)
        ax.set_xticks(range(len(backends)), [f"{b}://" for b in backends])
        ax.set_ylabel(units[wl])
        if units[wl] != "MiB":
            ax.set_yscale("log")
        better = "lower" if units[wl] == "MiB" else "higher"
        ax.set_title(f"{LANGS[lang]}: {wl} ({better} is better)")
        ax.legend(fontsize=7, ncol=3)
        fig.tight_layout()
        name = f"{lang}-{slug(wl)}.png"
        fig.savefig(os.path.join(chart_dir, name), dpi=80)
        plt.close(fig)
        made.append((wl, name))
    return made


if __name__ == "__main__":
    main()
