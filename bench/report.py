#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn `make bench` QEMU runs into results.json, results.md and a PNG plot.

Reads BENCH lines from each run's stage.log and, for the kexec-to-retrieved
time, the TSC value guest init prints right before reboot(RB_KEXEC) plus the
TSC frequency the first kernel calibrated (both in console.log).
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys

ENTRY_BYTES = 16  # one folio entry on the wire, memfd-v2 and hugetlb alike
PAGE = {"shmem": 4096, "hugetlb-2M": 2 << 20, "hugetlb-1G": 1 << 30}


def parse_run(run_dir):
    # bench-KERNEL or bench-KERNEL-WHAT (one kernel, several runs)
    kernel = os.path.basename(run_dir).removeprefix("bench-").split("-")[0]
    console = open(os.path.join(run_dir, "console.log"), errors="replace").read()
    mhz = None
    for pat in (r"tsc: Refined TSC clocksource calibration: ([0-9.]+) MHz",
                r"tsc: Detected ([0-9.]+) MHz"):
        m = re.search(pat, console)
        if m:
            mhz = float(m.group(1))
            break
    kexec_tsc = {int(s): int(t) for s, t in
                 re.findall(r"LUO-RUNNER: kexec to stage (\d+) tsc=(\d+)", console)}
    samples = {}
    for line in open(os.path.join(run_dir, "stage.log"), errors="replace"):
        if not line.startswith("BENCH "):
            continue
        f = dict(kv.split("=", 1) for kv in line.split()[1:])
        # Written: one unit in every N (older logs: pct=P, one in 100 // P).
        every = int(f["every"]) if "every" in f else \
            (1 if int(f.get("pct", 100)) >= 100 else 100 // int(f["pct"]))
        key = (kernel, f["path"], int(f["size"]), every)
        rep = int(f["rep"])
        d = samples.setdefault(key, {})
        if f["op"] == "retrieved":
            t0 = kexec_tsc.get(rep + 1)
            if t0 is not None and mhz:
                d.setdefault("kexec_to_retrieved", []).append(
                    (int(f["tsc"]) - t0) / (mhz * 1e3))
        else:
            d.setdefault(f["op"], []).append(float(f["ms"]))
            if "mem_kb" in f:
                d.setdefault("mem_kb", []).append(float(f["mem_kb"]))
    return samples, mhz


def written_label(every):
    """ "", " 1%" for one unit in 100, " 1/256" otherwise."""
    if every == 1:
        return ""
    return f" {100 // every}%" if 100 % every == 0 else f" 1/{every}"


def stats(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v),
            "n": len(v)} if v else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", nargs="+", required=True)
    ap.add_argument("--publish")
    a = ap.parse_args()

    # Runs of one kernel (rounds) pool their samples.
    merged, tsc_mhz = {}, {}
    for run in a.runs:
        samples, mhz = parse_run(run)
        tsc_mhz[os.path.basename(run)] = mhz
        for key, ops in samples.items():
            for op, v in ops.items():
                merged.setdefault(key, {}).setdefault(op, []).extend(v)
    rows = []
    for (kernel, path, size, every), ops in sorted(
            merged.items(), key=lambda x: (x[0][0] != "stock", x[0][1], x[0][2], -x[0][3])):
        units = -(-size // PAGE[path])
        # Written units: one in every `every`, as bench.c writes them.
        written = -(-units // every)
        rows.append({
            "path": f"{kernel} {path}" + written_label(every),
            "kernel": kernel, "backing": path, "size": size, "every": every,
            "written_bytes": written * PAGE[path],
            "array_bytes": ENTRY_BYTES * written,
            **{op: stats(ops.get(op, [])) for op in
               ("preserve", "retrieve", "finish", "kexec_to_retrieved", "mem_kb")}})
    if not rows:
        sys.exit("bench report: no BENCH results in " + " ".join(a.runs))

    stock = {(r["size"], r["every"]): r for r in rows
             if r["kernel"] == "stock" and r["backing"] == "shmem"}
    for r in rows:
        s = stock.get((r["size"], r["every"]))
        for op in ("preserve", "retrieve"):
            if s and s[op] and r[op] and r[op]["median"] > 0:
                r[f"{op}_ratio_to_stock"] = r[op]["median"] / s[op]["median"]
                r[f"{op}_speedup_vs_stock"] = s[op]["median"] / r[op]["median"]

    machine = {"host_cpu": platform.processor() or platform.machine(),
               "host_cores": os.cpu_count(), "guest_tsc_mhz": tsc_mhz,
               "qemu": subprocess.run(["qemu-system-x86_64", "--version"],
                                      capture_output=True, text=True).stdout.split("\n")[0]}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                machine["host_cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    os.makedirs(a.out, exist_ok=True)
    json.dump({"machine": machine, "results": rows},
              open(os.path.join(a.out, "results.json"), "w"), indent=1)

    def cell(s):
        return "-" if not s else f"{s['median']:.1f} ({s['min']:.1f}-{s['max']:.1f})"

    def ratio(r, op):
        v = r.get(f"{op}_ratio_to_stock")
        return "-" if v is None else f"{v:.3g}"

    def mem(s):
        return "-" if not s else f"{s['median'] / 1024:.1f}"

    md = ["| path | size MiB | written MiB | preserve ms | retrieve ms | finish ms | kexec→retrieved ms "
          "| array bytes | preserve took MiB | preserve / stock | retrieve / stock |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        md.append(f"| {r['path']} | {r['size'] >> 20} | {r['written_bytes'] / 2**20:.4g} | "
                  f"{cell(r['preserve'])} | "
                  f"{cell(r['retrieve'])} | {cell(r['finish'])} | "
                  f"{cell(r['kexec_to_retrieved'])} | {r['array_bytes']} | "
                  f"{mem(r['mem_kb'])} | "
                  f"{ratio(r, 'preserve')} | {ratio(r, 'retrieve')} |")
    md.append("")
    md.append("Cells: median (min-max) over the repetitions, in milliseconds. "
              "A path with N% has every (100 / N)th page written, one with 1/N every Nth, the rest holes. "
              "Preserve took: median drop of free memory of the file's kind across "
              "PRESERVE_FD (MemFree; free huge pages for HugeTLB). "
              "Ratios: median of the path / median of stock shmem at the same size "
              "and share written (< 1 is faster than stock).")
    open(os.path.join(a.out, "results.md"), "w").write("\n".join(md) + "\n")

    png = os.path.join(a.out, "plot.png")
    if shutil.which("gnuplot"):
        dat = os.path.join(a.out, "plot.dat")
        paths = sorted({r["path"] for r in rows})
        with open(dat, "w") as f:
            for p in paths:
                f.write(f'"{p}"\n')
                for r in sorted((r for r in rows if r["path"] == p), key=lambda r: r["size"]):
                    pre = r["preserve"]["median"] if r["preserve"] else float("nan")
                    ret = r["retrieve"]["median"] if r["retrieve"] else float("nan")
                    f.write(f"{r['size'] >> 20} {max(pre, 1e-3)} {max(ret, 1e-3)}\n")
                f.write("\n\n")
        script = f"""set terminal png size 1100,450 noenhanced
set output '{png}'
set multiplot layout 1,2
set logscale xy
set xlabel 'file size (MiB)'
set ylabel 'milliseconds (median)'
set key left top
set title 'PRESERVE_FD'
plot for [i=0:{len(paths) - 1}] '{dat}' index i using 1:2 with linespoints title columnheader(1)
set title 'RETRIEVE_FD'
plot for [i=0:{len(paths) - 1}] '{dat}' index i using 1:3 with linespoints title columnheader(1)
unset multiplot
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)

    if a.publish:
        docs = a.publish
        if os.path.exists(png):
            shutil.copy(png, os.path.join(docs, "performance.png"))
        tmpl = open(os.path.join(docs, "performance.md.in")).read()
        open(os.path.join(docs, "performance.md"), "w").write(
            tmpl.replace("@TABLE@", "\n".join(md))
                .replace("@MACHINE@", json.dumps(machine, indent=1)))


if __name__ == "__main__":
    main()
