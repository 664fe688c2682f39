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
# One folio entry per unit: shmem-thp files are made of 2 MiB folios.
PAGE = {"shmem": 4096, "shmem-thp": 2 << 20, "hugetlb-2M": 2 << 20,
        "hugetlb-1G": 1 << 30}


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
        # pos: the file's place in its stage, 0 the first (cold) one.
        # Logs from before pos have no cold/warm split.
        pos = int(f["pos"]) if "pos" in f else None
        d = samples.setdefault(key, {})
        if f["op"] == "retrieved":
            t0 = kexec_tsc.get(rep + 1)
            # The blackout alone: only the first file retrieved in a boot.
            if t0 is not None and mhz and pos in (0, None):
                d.setdefault("kexec_to_retrieved", []).append(
                    (int(f["tsc"]) - t0) / (mhz * 1e3))
        else:
            ms = float(f["ms"])
            d.setdefault(f["op"], []).append(ms)
            if pos is not None:
                d.setdefault(f["op"] + ("_cold" if pos == 0 else "_warm"), []).append(ms)
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
               ("preserve", "retrieve", "finish", "kexec_to_retrieved", "mem_kb",
                "preserve_cold", "preserve_warm", "retrieve_cold", "retrieve_warm")}})
    if not rows:
        sys.exit("bench report: no BENCH results in " + " ".join(a.runs))

    # Against stock with the same backing (shmem, shmem-thp); HugeTLB, which
    # stock cannot preserve, against stock shmem.
    stock = {(r["backing"], r["size"], r["every"]): r for r in rows
             if r["kernel"] == "stock"}
    for r in rows:
        s = stock.get((r["backing"], r["size"], r["every"])) or \
            stock.get(("shmem", r["size"], r["every"]))
        for op in ("preserve", "retrieve"):
            # Warm against warm where both have warm samples.
            w = op + "_warm"
            ours, base = (r[w], s[w]) if s and r[w] and s[w] else (r[op], s and s[op])
            if ours and base and ours["median"] > 0:
                r[f"{op}_ratio_to_stock"] = ours["median"] / base["median"]
                r[f"{op}_speedup_vs_stock"] = base["median"] / ours["median"]

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

    md = ["| path | size MiB | written MiB | preserve cold ms | preserve warm ms "
          "| retrieve cold ms | retrieve warm ms | finish ms | kexec→retrieved ms "
          "| array bytes | preserve took MiB | preserve / stock | retrieve / stock |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        md.append(f"| {r['path']} | {r['size'] >> 20} | {r['written_bytes'] / 2**20:.4g} | "
                  f"{cell(r['preserve_cold'])} | {cell(r['preserve_warm'])} | "
                  f"{cell(r['retrieve_cold'])} | {cell(r['retrieve_warm'])} | {cell(r['finish'])} | "
                  f"{cell(r['kexec_to_retrieved'])} | {r['array_bytes']} | "
                  f"{mem(r['mem_kb'])} | "
                  f"{ratio(r, 'preserve')} | {ratio(r, 'retrieve')} |")
    md.append("")
    md.append("Cells: median (min-max) over the repetitions, in milliseconds. "
              "Cold: the file was the first one its stage preserved (or retrieved), "
              "the first time that operation ran in the boot; warm: any later file. "
              "kexec→retrieved: first file retrieved in a boot only, so the blackout alone. "
              "A path with N% has every (100 / N)th page written, one with 1/N every Nth, the rest holes. "
              "Preserve took: median drop of free memory of the file's kind across "
              "PRESERVE_FD (MemFree; free huge pages for HugeTLB). "
              "shmem-thp: shmem in 2 MiB folios (shmem THP forced while the file was "
              "written; one array entry per folio), checked to come back as 2 MiB folios. "
              "Ratios: warm median of the path / warm median of stock with the same backing "
              "(stock shmem for HugeTLB) at the same size "
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
                    def med(*ops):
                        for op in ops:
                            if r[op]:
                                return max(r[op]["median"], 1e-3)
                        return float("nan")
                    f.write(f"{r['size'] >> 20} {med('preserve_warm', 'preserve')} "
                            f"{med('retrieve_warm', 'retrieve')} {med('kexec_to_retrieved')}\n")
                f.write("\n\n")
        script = f"""set terminal png size 1600,450 noenhanced
set output '{png}'
set multiplot layout 1,3
set logscale xy
set xlabel 'file size (MiB)'
set ylabel 'milliseconds (median)'
set key left top
set title 'PRESERVE_FD (warm)'
plot for [i=0:{len(paths) - 1}] '{dat}' index i using 1:2 with linespoints title columnheader(1)
set title 'RETRIEVE_FD (warm)'
plot for [i=0:{len(paths) - 1}] '{dat}' index i using 1:3 with linespoints title columnheader(1)
set title 'kexec to first file retrieved (blackout)'
plot for [i=0:{len(paths) - 1}] '{dat}' index i using 1:4 with linespoints title columnheader(1)
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
