"""Turns bench_py.py's JSON into bench/results/peers.md and one PNG chart per workload.

python report.py RESULTS.json OUT.md CHART_DIR
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
from collections import defaultdict
from typing import Any

PEERS = ("obstore", "opendal", "boto3")
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
    src, out_md, chart_dir = sys.argv[1:4]
    with open(src) as f:
        doc = json.load(f)
    meta, results = doc["meta"], doc["results"]
    # (backend, workload) -> impl -> values, in first-seen order
    table: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    units: dict[str, str] = {}
    for r in results:
        table[(r["backend"], r["workload"])][r["impl"]].append(r["value"])
        units[r["workload"]] = r["unit"]

    lines: list[str] = []
    w = lines.append
    v = meta["versions"]
    w("# kvps beside its peers, from Python, in one run")
    w("")
    w(f"{meta['date']}; {meta['machine']}. Python {v['python']}: kvps {v['kvps']} (its Python binding), "
      f"obstore {v['obstore']}, opendal {v['opendal']}, boto3 {v['boto3']}; s3:// is one local MinIO "
      f"(tests/s3/servers.sh). Command: `bench/run{' --smoke' if meta['smoke'] else ''}` "
      f"({meta['seconds']} s).")
    w("")
    w(f"Each cell: median of {meta['reps']} repetitions, min-max in brackets; the implementations "
      "alternate within each repetition (a different one first each time), so load on the shared "
      "machine hits all alike and only the ratios are worth comparing. Higher is better except peak "
      "RSS (MiB above the interpreter's own after imports, in a fresh process). "
      "**kvps / best peer** (obstore, opendal, boto3): above 1 kvps is faster (for RSS, below 1 is "
      "smaller). **kvps / limit**: the same work with no store library, from Python (a dict behind a "
      "lock for memory://; open/write/rename, read, stat, unlink, scandir for file://, no fsync); "
      "none for s3:// here (the C bench bench/s3 measures kvps against raw libcurl). On file:// "
      "kvps runs with `fsync=false`, as the peers (which do not fsync); `kvps fsync` is its default, "
      "its own row, not in the ratios.")
    w("")
    w(f"Counts: {json.dumps(meta['counts'])}.")
    w("")
    summary: list[tuple[str, str, float]] = []
    for backend in BACKENDS:
        rows = [(wl, impls) for (b, wl), impls in table.items() if b == backend]
        if not rows:
            continue
        names = list(rows[0][1].keys())
        order = [n for n in ("kvps", "kvps fsync", *PEERS, "limit") if n in names]
        w(f"## {backend}://")
        w("")
        w("| workload | unit | " + " | ".join(order) + " | kvps / best peer | kvps / limit |")
        w("|---|---|" + "---|" * len(order) + "---|---|")
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
            w(f"| {wl} | {unit} | " + " | ".join(cells) + f" | {r_text} | {'-' if limit is None else f'{limit:.2f}'} |")
            if ratio is not None:
                summary.append((backend, wl, ratio))
        w("")
    behind = [(b, wl, r) for b, wl, r in summary if (r < 1 and "RSS" not in wl) or ("RSS" in wl and r > 1)]
    w("## Where kvps is behind the best peer in this run")
    w("")
    if behind:
        for b, wl, r in behind:
            w(f"- {b}://, {wl}: {r:.2f}")
    else:
        w("- nowhere")
    w("")
    w("Charts (one per workload, every backend and implementation, median with min-max whiskers): "
      + ", ".join(f"[{wl}](peers/{slug(wl)}.png)" for wl in dict.fromkeys(wl for _, wl in table)) + ".")
    w("")
    with open(out_md, "w") as f:
        f.write("\n".join(lines))
    charts(table, units, chart_dir)


def charts(table: Any, units: dict[str, str], chart_dir: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(chart_dir, exist_ok=True)
    for old in os.listdir(chart_dir):
        if old.endswith(".png"):
            os.remove(os.path.join(chart_dir, old))
    workloads = list(dict.fromkeys(wl for _, wl in table))
    colors = {"kvps": "#1f77b4", "kvps fsync": "#aec7e8", "obstore": "#ff7f0e", "opendal": "#2ca02c",
              "boto3": "#d62728", "limit": "#7f7f7f"}
    for wl in workloads:
        backends = [b for b in BACKENDS if (b, wl) in table]
        impls = [n for n in colors if any(n in table[(b, wl)] for b in backends)]
        fig, ax = plt.subplots(figsize=(7, 3.6))
        width = 0.8 / len(impls)
        for j, n in enumerate(impls):
            xs, meds, lo, hi = [], [], [], []
            for i, b in enumerate(backends):
                vals = table[(b, wl)].get(n)
                if not vals:
                    continue
                m = sorted(vals)[len(vals) // 2]
                xs.append(i + (j - (len(impls) - 1) / 2) * width)
                meds.append(m)
                lo.append(m - min(vals))
                hi.append(max(vals) - m)
            ax.bar(xs, meds, width, yerr=[lo, hi], label=n, color=colors[n], capsize=2)
        ax.set_xticks(range(len(backends)), [f"{b}://" for b in backends])
        ax.set_ylabel(units[wl])
        if units[wl] != "MiB":
            ax.set_yscale("log")
        ax.set_title(wl + (" (lower is better)" if units[wl] == "MiB" else " (higher is better)"))
        ax.legend(fontsize=7, ncol=3)
        fig.tight_layout()
        fig.savefig(os.path.join(chart_dir, slug(wl) + ".png"), dpi=80)
        plt.close(fig)


if __name__ == "__main__":
    main()
