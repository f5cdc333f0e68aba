# SPDX-License-Identifier: ISC
"""bench/compare.py scale|engines A.tsv B.tsv: two runs of script/bench side
by side, from their raw output (bench/results/TAG.tsv).

  scale    `script/bench --scale` (bench/results/scale.txt): A the small
           database, B the one of bench/seed-scale.py, with the seed time,
           the sizes and `authportal gc`; target (issue 13): each endpoint
           within 10% of its small-database figure.
  engines  `script/bench --postgres` (bench/results/postgres.txt): A SQLite,
           B PostgreSQL, same build, one after the other, with
           PostgreSQL's own CPU (the `apart` column of B).

Each endpoint at each level: its rate in both runs, the change, and the
same as a ratio to the floor of its own run (the FastCGI floor at the same
level for me, refresh, pages; floor-u for users; the hash floor for login
and register; the RS256 floor for social). The two runs see different
machines on a shared host; the ratio takes out part of that.
"""

import sys


def kv(s):
    return {k: v for k, v in (x.split("=", 1) for x in s.split() if "=" in x)}


def load(path):
    meta, rows, order = {}, {}, []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if f[0] == "#meta":
            meta[f[1]] = f[2] if len(f) > 2 else ""
            continue
        name, c, result = f[0], int(f[1]), kv(f[2])
        w = f[3].split()
        busy, total, ours, apart = int(f[4]), int(f[5]), int(f[6]), int(f[7])
        wrk = 100 * (float(w[1]) + float(w[2])) if len(w) == 4 else 0
        rows[(name, c)] = {"rps": float(result["rps"]),
                           "p50": int(result["p50_us"]) / 1000,
                           "p99": int(result["p99_us"]) / 1000,
                           "bad": int(result["non2xx"]) + int(result["sockerr"]),
                           "apart": 100 * apart / total if total else 0,
                           "other": (100 * max(0, busy - ours - apart - wrk)
                                     / total) if total else 0}
        if name not in order:
            order.append(name)
    return meta, rows, order


def floor_of(meta, rows, name, c):
    if name.startswith("floor"):
        r = rows.get((name, c))
        return r["rps"] if r else 0
    if name in ("login", "register"):
        return float(kv(meta.get("hash", "")).get("per_s", "0") or 0)
    if name == "social":
        return float(kv(meta.get("rsa", "")).get("rsa2048_verify_per_s", "0") or 0)
    r = rows.get(("floor-u" if name == "users" else "floor", c))
    return r["rps"] if r else 0


def mib(v):
    return int(v or 0) / 2**20


def main():
    mode, pa, pb = sys.argv[1], sys.argv[2], sys.argv[3]
    am, ar, order = load(pa)
    bm, br, _ = load(pb)
    la, lb = ("small", "big") if mode == "scale" else ("SQLite", "PgSQL")
    out = []
    p = out.append
    if mode == "scale":
        p("authportal benchmark at scale  (script/bench --scale; see BENCHMARKS.md)")
    else:
        p("authportal benchmark, SQLite and PostgreSQL  (script/bench --postgres; see BENCHMARKS.md)")
    p(f"{la:<6} run {am.get('run', '?')}  ({pa.rsplit('/', 1)[-1][:-4]}.txt)")
    p(f"{lb:<6} run {bm.get('run', '?')}  ({pb.rsplit('/', 1)[-1][:-4]}.txt)")
    if mode == "scale":
        sd = kv(bm.get("scale_seed", ""))
        if sd:
            p(f"seed       {int(sd['users']):,} users and {int(sd['sessions']):,} sessions"
              f" ({int(sd['expired']):,} of them expired 400 days ago) in"
              f" {sd['seconds']} s (bench/seed-scale.py, one transaction)")
            p(f"database   small {mib(am.get('db_bytes')):.1f} MiB at its end, big"
              f" {mib(sd.get('bytes')):.0f} MiB after the seed, {mib(bm.get('db_bytes')):.0f} MiB at the end")
        g = kv(bm.get("gc", ""))
        if g:
            p(f"gc         `authportal gc` after the runs: {g.get('seconds')} s,"
              f" {g.get('pruned_sessions')} sessions pruned; file"
              f" {mib(g.get('bytes_before')):.0f} MiB before, {mib(g.get('bytes_after')):.0f}"
              f" MiB after (no VACUUM)")
    else:
        p(f"database   SQLite {mib(am.get('db_bytes')):.0f} MiB, PostgreSQL"
          f" {mib(bm.get('db_bytes')):.0f} MiB at the end of each run")
    p("")
    p(f"{'endpoint':<8} {'c':>3} {la + ' r/s':>11} {lb + ' r/s':>11} {'change':>7}"
      f" {la[:5] + '/fl':>8} {lb[:5] + '/fl':>8} {'p50 ms':>13} {'p99 ms':>15}"
      f" {'err':>4} {'db cpu':>6} {'other':>8}" + ("  within 10%" if mode == "scale" else ""))
    worst = {}
    for name in order:
        for c in sorted({c for n, c in ar if n == name}):
            a, b = ar.get((name, c)), br.get((name, c))
            if not a or not b:
                continue
            ch = b["rps"] / a["rps"] - 1 if a["rps"] else 0
            fa, fb = floor_of(am, ar, name, c), floor_of(bm, br, name, c)
            ra = a["rps"] / fa if fa else 0
            rb = b["rps"] / fb if fb else 0
            chr_ = rb / ra - 1 if ra else 0
            verdict = ""
            if mode == "scale" and not name.startswith("floor"):
                ok = chr_ >= -0.10 and b["bad"] == 0
                verdict = "  yes" if ok else "  NO"
                worst.setdefault(name, []).append((chr_, c, ok))
            p(f"{name:<8} {c:>3} {a['rps']:>11.1f} {b['rps']:>11.1f} {100 * ch:>+6.1f}%"
              f" {ra:>8.3f} {rb:>8.3f} {'%.2f/%.2f' % (a['p50'], b['p50']):>13}"
              f" {'%.2f/%.2f' % (a['p99'], b['p99']):>15} {a['bad'] + b['bad']:>4}"
              f" {b['apart']:>5.0f}% {'%.0f/%.0f%%' % (a['other'], b['other']):>8}{verdict}")
    p("")
    p(f"change: {lb} over {la} - 1. {la[:5]}/fl, {lb[:5]}/fl: the rate over the floor")
    p("of its own run (FastCGI floor at the same c, floor-u for users, hash floor for")
    p("login and register, RS256 floor for social). p50, p99: A/B. err: non-2xx and")
    p("socket errors, both runs. db cpu: the share of all cores used by PostgreSQL's")
    p("processes (and the mock provider for social) in run B, counted apart from the")
    p("server's. other: CPU that was not the benchmark's, A/B: the machine is shared.")
    if mode == "scale":
        p("")
        p("target: each within 10% of its ratio to the floor on the small database")
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
