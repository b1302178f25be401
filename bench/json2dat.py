#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Turn qiring-bench's Google Benchmark JSON into gnuplot data and tables.

usage: json2dat.py RESULTS.json DATDIR [--md TABLES.md]

With repetitions, the median aggregate of every counter is used; without,
the single run. Writes, in DATDIR:

  PROFILE-VARIANT-cCOUNT.dat   one row per thread count:
      threads subs_per_s ns_per_sub p50_ns p99_ns max_ns tail_writes/sub
      fault_reads/sub cas_retries/sub efficiency device_bound cpu_share
      fairness max_batch max_write_ns
  ratio-PROFILE.dat            threads, then lockfree/locked throughput for
                               counts 0 1 4 16, then lockfree/smmuv3 for the
                               same counts

and with --md, markdown tables of everything plus a check of the targets.
A target checked on a ratio also gives the spread of that ratio over the
repetitions (every repetition of one variant against every repetition of
the other: the smallest and the largest), so that a miss inside the noise
is told from one outside it.
Only the standard library: jq is not assumed.
"""
import json
import os
import sys

PROFILES = ["null", "instant", "hw", "viommu"]
VARIANTS = ["locked", "tbf", "smmuv3", "lockfree", "ckring"]
# The per-submission counter tables compare these, in this order.
COMPARED = ["locked", "smmuv3", "lockfree"]
COUNTS = [0, 1, 4, 16]
THREADS = [1, 2, 4, 8]
COLS = ["subs_per_s", "ns_per_sub", "p50_ns", "p99_ns", "max_ns",
        "tail_writes_per_sub", "fault_reads_per_sub", "cas_retries_per_sub",
        "efficiency", "device_bound", "cpu_share", "fairness", "max_batch",
        "max_write_ns"]


# Every repetition's counters, by key (filled by load()).
REPS = {}


def load(path):
    with open(path) as f:
        doc = json.load(f)
    runs = doc["benchmarks"]
    aggregated = any(b.get("run_type") == "aggregate" for b in runs)
    rows, errors = {}, {}
    for b in runs:
        if aggregated and b.get("run_type") == "iteration" and \
                not b.get("error_occurred"):
            REPS.setdefault(key_of(b), []).append(b)
        if aggregated and not (b.get("run_type") == "aggregate" and
                               b.get("aggregate_name") == "median"):
            if b.get("error_occurred"):
                errors[key_of(b)] = b.get("error_message", "error")
            continue
        if b.get("error_occurred"):
            errors[key_of(b)] = b.get("error_message", "error")
            continue
        rows[key_of(b)] = b
    return doc.get("context", {}), rows, errors


def key_of(b):
    parts = b.get("run_name", b["name"]).split("/")
    profile, variant = parts[0], parts[1]
    count = int(parts[2].split(":")[1])
    threads = int(parts[3].split(":")[1])
    return (profile, variant, count, threads)


def write_dat(rows, outdir):
    os.makedirs(outdir, exist_ok=True)
    for p in PROFILES:
        for v in VARIANTS:
            for c in COUNTS:
                lines = []
                for t in THREADS:
                    b = rows.get((p, v, c, t))
                    if b:
                        lines.append(" ".join([str(t)] + ["%.6g" % b.get(k, float("nan"))
                                                          for k in COLS]))
                if lines:
                    with open(os.path.join(outdir, "%s-%s-c%d.dat" % (p, v, c)), "w") as f:
                        f.write("# threads " + " ".join(COLS) + "\n")
                        f.write("\n".join(lines) + "\n")
        with open(os.path.join(outdir, "ratio-%s.dat" % p), "w") as f:
            f.write("# threads lockfree/locked throughput for counts %s, "
                    "then lockfree/smmuv3 for the same counts\n" %
                    " ".join(map(str, COUNTS)))
            for t in THREADS:
                vals = []
                for den in ("locked", "smmuv3"):
                    for c in COUNTS:
                        r = ratio(rows, p, c, t, "subs_per_s", den=den)
                        vals.append("%.4g" % r if r else "NaN")
                f.write("%d %s\n" % (t, " ".join(vals)))


def ratio(rows, p, c, t, key, num="lockfree", den="locked"):
    a, b = rows.get((p, num, c, t)), rows.get((p, den, c, t))
    if not a or not b or not b[key]:
        return None
    return a[key] / b[key]


def spread(p, c, t, key, num="lockfree", den="locked"):
    """(smallest, largest) ratio over every pair of repetitions, or None."""
    a = [b[key] for b in REPS.get((p, num, c, t), []) if key in b]
    d = [b[key] for b in REPS.get((p, den, c, t), []) if b.get(key)]
    if len(a) < 2 or len(d) < 2:
        return None
    rs = [x / y for x in a for y in d]
    return min(rs), max(rs)


def noted(r, p, c, t, key, den="locked", num="lockfree", bound=None):
    """"1.02x [0.97-1.06]": the ratio, its spread over the repetitions, and
    "(spread holds BOUND)" when the bound lies inside that spread."""
    sp = spread(p, c, t, key, num=num, den=den)
    if not sp:
        return "%.2fx" % r
    txt = "%.2fx [%.2f-%.2f]" % (r, sp[0], sp[1])
    if bound is not None and sp[0] <= bound <= sp[1]:
        txt += " (spread holds %.1f)" % bound
    return txt


def fmt_rate(x):
    if x >= 1e6:
        return "%.2fM" % (x / 1e6)
    if x >= 1e3:
        return "%.0fk" % (x / 1e3)
    return "%.0f" % x


def fmt_ns(x):
    if x >= 1e6:
        return "%.1f ms" % (x / 1e6)
    if x >= 1e3:
        return "%.1f us" % (x / 1e3)
    return "%.0f ns" % x


def cell(rows, errors, k, fn):
    if k in errors:
        return "hung" if "hung" in errors[k] else "error"
    b = rows.get(k)
    return fn(b) if b else ""


def tables(ctx, rows, errors):
    out = []
    w = out.append
    w("<!-- SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause -->")
    w("")
    w("Generated by bench/json2dat.py from one run of qiring-bench (%s)." %
      ("median of repetitions" if any(r.get("run_type") == "aggregate"
                                      for r in rows.values()) else "single run"))
    w("")
    for key in ("date", "host_name", "num_cpus", "mhz_per_cpu", "qr_seconds",
                "qr_retries", "qr_min_cpu_share", "qr_retry_wait", "qr_retry_budget",
                "git", "load_before"):
        if key in ctx:
            w("- %s: %s" % (key, ctx[key]))
    if "load_avg" in ctx:
        w("- load average at start: %s" % ", ".join("%.2f" % x for x in ctx["load_avg"]))
    w("")
    for p in PROFILES:
        vs = [v for v in VARIANTS if any((p, v, c, t) in rows for c in COUNTS for t in THREADS)]
        w("### %s: throughput (submissions/s), lockfree/locked and lockfree/smmuv3" % p)
        w("")
        w("| count | threads | " + " | ".join(vs) +
          " | lockfree/locked | lockfree/smmuv3 | CPU share (min) |")
        w("|---:|---:|" + "---:|" * len(vs) + "---:|---:|---:|")
        for c in COUNTS:
            for t in THREADS:
                if not any((p, v, c, t) in rows or (p, v, c, t) in errors for v in vs):
                    continue
                r = ratio(rows, p, c, t, "subs_per_s")
                rs = ratio(rows, p, c, t, "subs_per_s", den="smmuv3")
                shares = [rows[(p, v, c, t)].get("cpu_share") for v in vs
                          if (p, v, c, t) in rows]
                shares = [x for x in shares if x is not None]
                w("| %d | %d | %s | %s | %s | %s |" % (
                    c, t, " | ".join(cell(rows, errors, (p, v, c, t),
                                          lambda b: fmt_rate(b["subs_per_s"])) for v in vs),
                    "%.2fx" % r if r else "",
                    "%.2fx" % rs if rs else "",
                    "%.2f" % min(shares) if shares else ""))
        w("")
        w("### %s: per-submission counters (%s)" % (p, " / ".join(COMPARED)))
        w("")
        w("| count | threads | p50 | p99 | tail writes/sub | fault reads/sub "
          "| CAS retries/sub | efficiency | fairness | max batch | longest write |")
        w("|---:|---:|---|---|---|---|---|---|---|---|---|")
        for c in COUNTS:
            for t in THREADS:
                ks = [(p, v, c, t) for v in COMPARED]
                if not any(k in rows or k in errors for k in ks):
                    continue

                def pair(fn):
                    return " / ".join(cell(rows, errors, k, fn) for k in ks)
                w("| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    c, t,
                    pair(lambda b: fmt_ns(b["p50_ns"])),
                    pair(lambda b: fmt_ns(b["p99_ns"])),
                    pair(lambda b: "%.3f" % b["tail_writes_per_sub"]),
                    pair(lambda b: "%.3f" % b["fault_reads_per_sub"]),
                    pair(lambda b: "%.3f" % b["cas_retries_per_sub"]),
                    pair(lambda b: "%.0f%%" % (100 * b["efficiency"])
                         if b["device_bound"] else "-"),
                    pair(lambda b: "%.2f" % b.get("fairness", float("nan"))),
                    pair(lambda b: "%.0f" % b.get("max_batch", float("nan"))),
                    pair(lambda b: fmt_ns(b["max_write_ns"])
                         if b.get("max_write_ns") else "-")))
        w("")
    w(targets(rows))
    return "\n".join(out) + "\n"


def targets(rows):
    """The performance targets, each with its numbers and a verdict."""
    out = ["### Targets, checked on this run", ""]
    w = out.append

    def get(p, v, c, t, k):
        b = rows.get((p, v, c, t))
        return b.get(k) if b else None

    def verdict(ok, have):
        return ("met" if ok else "MISSED") if have else "no data"

    # 1. one thread, null device: lockfree time <= locked
    rs = [(c, ratio(rows, "null", c, 1, "ns_per_sub")) for c in (0, 1, 16)]
    rs = [(c, r) for c, r in rs if r]
    w("1. One thread, null device, lockfree/locked time per submission "
      "(<= 1.0x; [spread over repetitions]): %s: %s" % (
          ", ".join("c%d %s" % (c, noted(r, "null", c, 1, "ns_per_sub", bound=1.0))
                    for c, r in rs),
          verdict(all(r <= 1.0 for _, r in rs), rs)))
    # 2. two submitters: >= 1.0x locked and smmuv3 everywhere, null >= 1.5x
    for den in ("locked", "smmuv3"):
        cells = [(p, c, ratio(rows, p, c, 2, "subs_per_s", den=den))
                 for p in PROFILES for c in COUNTS]
        cells = [x for x in cells if x[2]]
        low = ["%s/c%d %s" % (p, c, noted(r, p, c, 2, "subs_per_s", den=den, bound=1.0))
               for p, c, r in cells if r < 1.0]
        w("2. Two submitters, lockfree/%s throughput (>= 1.0x in every case): "
          "min %s%s: %s" % (den, "%.2fx" % min(x[2] for x in cells) if cells else "-",
                            "; below: " + ", ".join(low) if low else "",
                            verdict(not low, cells)))
    nl = [(c, ratio(rows, "null", c, 2, "subs_per_s")) for c in COUNTS]
    nl = [x for x in nl if x[1]]
    w("   Null device, two submitters, lockfree/locked (aim >= 1.5x): %s: %s" %
      (", ".join("c%d %s" % (c, noted(r, "null", c, 2, "subs_per_s", bound=1.5))
                 for c, r in nl),
       verdict(all(r >= 1.5 for _, r in nl), nl)))
    # 3. doorbell sharing (hw, viommu), efficiency (viommu), FSTS reads
    for p in ("hw", "viommu"):
        bad, have = [], False
        for t in (2, 4, 8):
            for c in COUNTS:
                x = get(p, "lockfree", c, t, "tail_writes_per_sub")
                y = get(p, "smmuv3", c, t, "tail_writes_per_sub")
                if x is None:
                    continue
                have = True
                if x > 2.0 / t + 0.05 or (y is not None and x > y):
                    bad.append("c%d/t%d %.3f (bound %.2f, smmuv3 %s)" % (
                        c, t, x, 2.0 / t + 0.05, "%.3f" % y if y is not None else "-"))
        w("3. %s: tail writes/sub <= 2/T + 0.05 and <= smmuv3's, T = 2, 4, 8: %s%s" %
          (p, verdict(not bad, have), ": " + "; ".join(bad) if bad else ""))
    effs = [(c, t, get("viommu", "lockfree", c, t, "efficiency"),
             ratio(rows, "viommu", c, t, "subs_per_s"))
            for t in (2, 4, 8) for c in COUNTS]
    effs = [x for x in effs if x[2]]
    w("   viommu: lockfree throughput / pipeline bound (T/2 per write; >= 90%%): %s: %s" % (
        ", ".join("c%d/t%d %.0f%% (%.2fx locked)" % (c, t, 100 * e, r or 0)
                  for c, t, e, r in effs),
        verdict(all(e >= 0.9 for _, _, e, _ in effs), effs)))
    fr = [(p, c, t, get(p, "lockfree", c, t, "fault_reads_per_sub"))
          for p in PROFILES for c in COUNTS for t in THREADS]
    fr = [x for x in fr if x[3] is not None]
    over = ["%s/c%d/t%d %.2f" % x for x in fr if x[3] > 0.1]
    w("   FSTS reads/sub <= 0.1 everywhere: max %s: %s%s" % (
        "%.3f" % max(x[3] for x in fr) if fr else "-", verdict(not over, fr),
        ": " + ", ".join(over) if over else ""))
    # 4. p99 <= locked and smmuv3 everywhere; fairness >= 0.8 at T = 8
    for den in ("locked", "smmuv3"):
        yes, worse = 0, []
        for p in PROFILES:
            for c in COUNTS:
                for t in THREADS:
                    r = ratio(rows, p, c, t, "p99_ns", den=den)
                    if r is None:
                        continue
                    if r <= 1.0:
                        yes += 1
                    else:
                        worse.append("%s/c%d/t%d %s" % (
                            p, c, t, noted(r, p, c, t, "p99_ns", den=den, bound=1.0)))
        w("4. p99 lockfree <= %s: %d cases yes, %d no: %s%s" % (
            den, yes, len(worse), verdict(not worse, yes or worse),
            " (" + ", ".join(worse) + ")" if worse else ""))
    fa = [(p, c, get(p, "lockfree", c, 8, "fairness")) for p in PROFILES for c in COUNTS]
    fa = [x for x in fa if x[2] is not None]
    low = ["%s/c%d %.2f" % x for x in fa if x[2] < 0.8]
    w("   fairness >= 0.8 at T = 8: min %s: %s%s" % (
        "%.2f" % min(x[2] for x in fa) if fa else "-", verdict(not low, fa),
        " (" + ", ".join(low) + ")" if low else ""))
    # 5. bounded work
    for p in PROFILES:
        mb = [get(p, "lockfree", c, t, "max_batch") for c in COUNTS for t in THREADS]
        mw = [get(p, "lockfree", c, t, "max_write_ns") for c in COUNTS for t in THREADS]
        mb = [x for x in mb if x is not None]
        mw = [x for x in mw if x]
        if mb:
            w("5. %s: one IQT write per doorbell call (by construction; explorer P7); "
              "the most submissions one write published: %.0f; the longest write: %s" % (
                  p, max(mb), fmt_ns(max(mw)) if mw else "not timed (zero-latency device)"))
    # 6. oversubscribed
    bad, have = [], False
    for p in PROFILES:
        for c in COUNTS:
            for t in (4, 8):
                r = ratio(rows, p, c, t, "subs_per_s")
                q = ratio(rows, p, c, t, "p99_ns")
                if r is None:
                    continue
                have = True
                if r < 1.0 or (q is not None and q > 1.0):
                    bad.append("%s/c%d/t%d %.2fx, p99 %.2fx" % (p, c, t, r, q or 0))
    w("6. Oversubscribed (T = 4, 8 on two cores): lockfree >= 1.0x locked with "
      "p99 <= locked's: %s%s" % (verdict(not bad, have), ": " + "; ".join(bad) if bad else ""))
    w("7. Kernel (shim/qemu-test.sh): see docs/kernel.md.")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    ctx, rows, errors = load(argv[1])
    write_dat(rows, argv[2])
    if "--md" in argv:
        with open(argv[argv.index("--md") + 1], "w") as f:
            f.write(tables(ctx, rows, errors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
