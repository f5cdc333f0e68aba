# SPDX-License-Identifier: ISC
"""bench/scale-report.py SMALL.tsv BIG.tsv: the table of `script/bench
--scale` (bench/results/scale.txt) from the raw output of its two runs
(bench/results/scale-small.tsv, scale-big.tsv).

Each endpoint at each level: its rate on the small database (migrate +
seed + what the run itself adds) and on the large one, the change, and
the same as a ratio to the floor of its own run (FastCGI floor for me and
refresh, hash floor for login), which takes out most of the difference in
how busy the machine was during each run. Target (issue 13): within 10%.
"""

import sys


def kv(s):
    return {k: v for k, v in (x.split("=", 1) for x in s.split() if "=" in x)}


def load(path):
    meta, rows = {}, {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if f[0] == "#meta":
            meta[f[1]] = f[2] if len(f) > 2 else ""
            continue
        name, c, result = f[0], int(f[1]), kv(f[2])
        w = f[3].split()
        busy, total, ours = int(f[4]), int(f[5]), int(f[6])
        rows[(name, c)] = {"rps": float(result["rps"]),
                           "p50": int(result["p50_us"]) / 1000,
                           "p99": int(result["p99_us"]) / 1000,
                           "bad": int(result["non2xx"]) + int(result["sockerr"]),
                           "other": (100 * max(0, busy - ours - int(f[7]) - 100 *
                                                (float(w[1]) + float(w[2])))
                                     / total) if total and len(w) == 4 else 0}
    return meta, rows


def floor_of(meta, rows, name, c):
    if name == "login":
        return float(kv(meta.get("hash", "")).get("per_s", "0") or 0)
    r = rows.get(("floor", c))
    return r["rps"] if r else 0


def main():
    sm, sr = load(sys.argv[1])
    bm, br = load(sys.argv[2])
    out = []
    p = out.append
    p("authportal benchmark at scale  (script/bench --scale; see BENCHMARKS.md)")
    p(f"small run  {sm.get('run', '?')}  (bench/results/scale-small.txt)")
    p(f"big run    {bm.get('run', '?')}  (bench/results/scale-big.txt)")
    sd = kv(bm.get("scale_seed", ""))
    if sd:
        p(f"seed       {int(sd['users']):,} users and {int(sd['sessions']):,} sessions"
          f" ({int(sd['expired']):,} of them expired 400 days ago) in"
          f" {sd['seconds']} s (bench/seed-scale.py, one transaction)")
    p(f"database   small {int(sm.get('db_bytes') or 0) / 2**20:.1f} MiB,"
      f" big {int(sd.get('bytes', 0)) / 2**20:.0f} MiB after the seed,"
      f" {int(bm.get('db_bytes') or 0) / 2**20:.0f} MiB at the end")
    g = kv(bm.get("gc", ""))
    if g:
        p(f"gc         `authportal gc` after the runs: {g.get('seconds')} s,"
          f" {g.get('pruned_sessions')} sessions pruned; file"
          f" {int(g.get('bytes_before', 0)) / 2**20:.0f} MiB before,"
          f" {int(g.get('bytes_after', 0)) / 2**20:.0f} MiB after (no VACUUM)")
    p("")
    p(f"{'endpoint':<8} {'c':>3} {'small r/s':>10} {'big r/s':>10} {'change':>7}"
      f" {'small/fl':>8} {'big/fl':>7} {'change':>7} {'p50 s/b ms':>13}"
      f" {'p99 s/b ms':>15} {'err':>5} {'other s/b':>10}  within 10%")
    worst = {}
    for name in ("floor", "me", "refresh", "login"):
        for c in sorted({c for n, c in sr if n == name}):
            a, b = sr.get((name, c)), br.get((name, c))
            if not a or not b:
                continue
            ch = b["rps"] / a["rps"] - 1 if a["rps"] else 0
            fa, fb = floor_of(sm, sr, name, c), floor_of(bm, br, name, c)
            ra = a["rps"] / fa if fa else 0
            rb = b["rps"] / fb if fb else 0
            chr_ = rb / ra - 1 if ra else 0
            verdict = ""
            if name != "floor":
                ok = chr_ >= -0.10 and b["bad"] == 0
                verdict = "yes" if ok else "NO"
                if name == "login" and c == 1:
                    verdict += " (c=1: one core)"
                worst.setdefault(name, []).append((chr_, c, ok))
            p(f"{name:<8} {c:>3} {a['rps']:>10.1f} {b['rps']:>10.1f} {100 * ch:>+6.1f}%"
              f" {ra:>8.3f} {rb:>7.3f} {100 * chr_:>+6.1f}%"
              f" {a['p50']:>6.2f}/{b['p50']:<6.2f} {a['p99']:>7.2f}/{b['p99']:<7.2f}"
              f" {a['bad'] + b['bad']:>5} {a['other']:>4.0f}/{b['other']:<4.0f}%  {verdict}")
    p("")
    p("change: big over small - 1. small/fl, big/fl: the rate over the floor of its own")
    p("run (FastCGI floor at the same c; hash floor for login), the figure judged,")
    p("since the two runs see different machines (other: CPU that was not the")
    p("benchmark's, small/big run). err: non-2xx answers and socket errors, both runs.")
    p("")
    p("target: each within 10% of its rate on the small database")
    for name in ("me", "refresh", "login"):
        l = worst.get(name)
        if not l:
            continue
        w = min(l)
        st = "MET" if all(ok for _, _, ok in l) else "NOT MET"
        p(f"  {name:<8} {st:<8} worst {100 * w[0]:+.1f}% at c={w[1]}")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
