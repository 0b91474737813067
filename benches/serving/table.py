"""Turns a serving-harness log (driver.py's lines) into the markdown tables.

    python table.py LOG

For each model, batch and thread count: every row's median µs per call (p10–p90),
images per second, and its ratio to the faster runtime in f32 (the lowest median
of ONNX Runtime's two paths and LiteRT's XNNPACK f32 row), as measured through
Python and, for one sample, with every runtime's median less what a trivial
model's call costs on the same path (the Python binding and the runtime's own
per-call work: a lower bound on what any caller of that runtime pays). With a hogged phase in the log, its medians and their ratio to the quiet
ones follow.
"""
import sys
from collections import defaultdict

NAMES = {"onnxruntime": "ONNX Runtime", "litert": "LiteRT", "typenet": "typenet"}
# the trivial model's row that times the same Python path as a runtime's row
PATH = {
    ("onnxruntime", "run"): ("onnxruntime", "run"),
    ("onnxruntime", "IO binding"): ("onnxruntime", "IO binding"),
    ("litert", "XNNPACK"): ("litert", "XNNPACK"),
    ("litert", "builtin kernels"): ("litert", "XNNPACK"),
}


def call_cost(trivial, runtime, variant):
    """What the trivial model's call costs on the path of `runtime`'s `variant` (0 for typenet)."""
    return trivial.get(PATH.get((runtime, variant)), 0.0)


def load(path):
    results, training, cpu, versions, meta = defaultdict(dict), defaultdict(dict), [], {}, {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            kind = parts[0]
            if kind == "RESULT":
                label, runtime, model, precision, batch, threads, variant = parts[1:8]
                median, p10, p90 = map(float, parts[8:11])
                allocs = parts[12] if len(parts) > 12 and parts[12] else ""
                key = (model, int(batch), int(threads), runtime, precision, variant)
                results[key][label] = (median, p10, p90, allocs)
            elif kind == "TRAIN":
                label, what, threads, median, p10, p90, allocs = parts[1:8]
                training[(what, int(threads))][label] = (float(median), float(p10), float(p90), allocs)
            elif kind == "CPU":
                cpu.append(parts[1:])
            elif kind == "VERSION":
                versions[parts[1]] = parts[2]
            elif kind == "SITTING":
                meta[parts[1]] = parts[2]
            elif kind == "CHECK":
                meta.setdefault("checks", []).append(parts[1:])
    return results, training, cpu, versions, meta


def fmt(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.2f} µs"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    results, training, cpu, versions, meta = load(sys.argv[1])
    labels = sorted({l for r in results.values() for l in r}, key=lambda l: (l != "alone", l))
    base, others = labels[0], labels[1:]
    print(f"Sitting: {meta.get('date', '?')}, {meta.get('machine', '?')}; " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    print()
    trivial = {(k[3], k[5]): v[base][0] for k, v in results.items() if k[0] == "trivial" and base in v}
    if trivial:
        print("What one call costs through Python (the trivial model, a ReLU of 10 values): " + ", ".join(
            f"{NAMES[r]} {v} {us:.2f} µs" for (r, v), us in sorted(trivial.items())) + ".")
        print()
    groups = sorted({k[:3] for k in results if k[0] != "trivial"}, key=lambda g: (g[0] != "SimpleConvNet", g[1], g[2]))
    head = "| model | batch | threads | runtime | precision | how | median [p10–p90] | images/s | × fastest f32 runtime |"
    sep = "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    if any(g[1] == 1 for g in groups):
        head += " × fastest, runtimes less a trivial call |"
        sep += " --- |"
    head += " allocations per call |"
    sep += " --- |"
    for o in others:
        head += f" {o}: median | {o} / {base} |"
        sep += " --- | --- |"
    print(head)
    print(sep)
    for model, batch, threads in groups:
        rows = {k: v for k, v in results.items() if k[:3] == (model, batch, threads) and base in v}
        runtimes = [v[base][0] for k, v in rows.items() if k[3] != "typenet" and k[4] == "f32" and k[5] != "builtin kernels"]
        fastest = min(runtimes) if runtimes else None
        net_runtimes = [v[base][0] - call_cost(trivial, k[3], k[5]) for k, v in rows.items()
                        if k[3] != "typenet" and k[4] == "f32" and k[5] != "builtin kernels"]
        fastest_net = min(net_runtimes) if net_runtimes else None
        order = sorted(rows, key=lambda k: (k[3] != "typenet", k[3], k[4], k[5]))
        for k in order:
            median, p10, p90, allocs = rows[k][base]
            cells = [model, str(batch), str(threads), NAMES[k[3]], k[4], k[5], f"{fmt(median)} [{p10:.1f}–{p90:.1f}]", f"{batch * 1e6 / median:,.0f}"]
            cells.append(f"{median / fastest:.2f}" if fastest else "")
            if "less a trivial call" in head:
                if batch == 1 and fastest_net:
                    own = median - call_cost(trivial, k[3], k[5])
                    cells.append(f"{own / fastest_net:.2f}")
                else:
                    cells.append("")
            cells.append(allocs)
            for o in others:
                if o in rows[k]:
                    cells += [fmt(rows[k][o][0]), f"{rows[k][o][0] / median:.2f}"]
                else:
                    cells += ["", ""]
            if k[3] == "typenet" and bold(k, rows, base, fastest):
                cells[6] = f"**{cells[6]}**"
            print("| " + " | ".join(cells) + " |")
        if model != "trivial":
            print(f"| {model} | {batch} | {threads} | typenet | int8 | (the int8 layers, not on this branch yet) | | | |" + " |" * (("less a trivial call" in head) + 1 + 2 * len(others)))
    if training:
        print()
        print("Training steps (benches/speed.rs `--parallel --quick`), median µs per step [p10–p90]:")
        print()
        head = f"| step | threads | {base} |" + "".join(f" {o} | {o} / {base} |" for o in others) + " 2 threads / 1 thread |"
        print(head)
        print("|" + " --- |" * (head.count("|") - 1))
        for (what, threads), v in sorted(training.items()):
            if base not in v:
                continue
            cells = [what, str(threads), f"{v[base][0]:.1f} [{v[base][1]:.0f}–{v[base][2]:.0f}]"]
            for o in others:
                cells += [f"{v[o][0]:.1f}" if o in v else "", f"{v[o][0] / v[base][0]:.2f}" if o in v else ""]
            one = training.get((what, 1), {})
            if threads == 2:
                cells.append(" / ".join(f"{l} {v[l][0] / one[l][0]:.2f}" for l in labels if l in v and l in one))
            else:
                cells.append("")
            print("| " + " | ".join(cells) + " |")
    if cpu:
        print()
        print("| phase | program | wall s | own cores | hog cores | others' cores |")
        print("| --- | --- | --- | --- | --- | --- |")
        for c in cpu:
            print("| " + " | ".join(c) + " |")
    if "checks" in meta:
        print()
        print("Checks against typenet's scores:")
        print()
        for c in meta["checks"]:
            print("- " + ": ".join(c))


def bold(k, rows, base, fastest):
    return fastest is not None and rows[k][base][0] <= fastest


if __name__ == "__main__":
    main()
