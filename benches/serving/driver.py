"""The steps of run.sh that are easier in Python: waiting for a quiet machine and
running one phase of timings (typenet's bench, the runtimes, the training steps)
with the machine's CPU accounting, as labelled lines for table.py.

    python driver.py wait-idle SECONDS
    python driver.py phase --label alone --weights DIR --models DIR [--quick] [--training] [--hog-pid PID]

Every line a phase prints is one of
    RESULT <label> <runtime> <model> <precision> <batch> <threads> <variant> <median µs> <p10> <p90> <calls> <allocations per call>
    TRAIN  <label> <what> <threads> <median µs> <p10> <p90> <allocations per step>
    CPU    <label> <program> <wall s> <own cores> <hog cores> <others' cores>
where "own cores" is the program's CPU time over its wall time, "hog cores" the
busy loop's, and "others' cores" every other process's on the machine (from
/proc/stat): above ~0.05 the phase was disturbed.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRATE = HERE.parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def machine_busy():
    """Busy CPU seconds of the whole machine so far (user, nice, system, irq, softirq, steal)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


def process_cpu(pid):
    """CPU seconds used so far by process `pid` (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(label, program, argv, hog_pid, handle):
    """Runs `argv`, hands each stdout line to `handle`, and prints the CPU line."""
    t0, busy0, own0 = time.monotonic(), machine_busy(), children_cpu()
    hog0 = process_cpu(hog_pid) if hog_pid else 0.0
    proc = subprocess.run(argv, cwd=CRATE, stdout=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    own = children_cpu() - own0
    hog = (process_cpu(hog_pid) - hog0) if hog_pid else 0.0
    others = max(0.0, machine_busy() - busy0 - own - hog)
    for line in proc.stdout.splitlines():
        handle(line)
    print(f"CPU\t{label}\t{program}\t{wall:.2f}\t{own / wall:.2f}\t{hog / wall:.2f}\t{others / wall:.2f}", flush=True)
    if proc.returncode != 0:
        sys.exit(f"{program} failed (exit {proc.returncode})")


# speed.rs's table lines: "| seed step 784-50-10, batch 100, f32 | 2 | 43.5 µs [40.1–50.2] | 0.05 s | 94.4 % | 0.00 |"
TRAIN_LINE = re.compile(r"^\| (.+?), batch 100, f32 \| (\d) \| ([\d.]+) (µs|ms) \[([\d.]+)–([\d.]+)\] \|.*\| ([\d.]+) \|$")


def phase(args):
    label = args.label
    quick = ["--quick"] if args.quick else []

    def results(line):
        if line.startswith("RESULT\t"):
            print("RESULT\t" + label + "\t" + line.split("\t", 1)[1], flush=True)
        elif line.startswith("VERSION\t"):
            print(line, flush=True)

    def training(line):
        m = TRAIN_LINE.match(line)
        if m:
            what, threads, median, unit, p10, p90, allocs = m.groups()
            k = 1000.0 if unit == "ms" else 1.0
            print(f"TRAIN\t{label}\t{what}\t{threads}\t{float(median) * k:.1f}\t{float(p10) * k:.1f}\t{float(p90) * k:.1f}\t{allocs}", flush=True)

    cargo = ["cargo", "bench", "-q", "--bench"]
    run(label, "typenet", cargo + ["serving", "--", "--weights", str(args.weights)] + quick, args.hog_pid, results)
    python = [sys.executable, str(HERE / "time_runtimes.py"), "--models", str(args.models)] + quick
    run(label, "runtimes", python, args.hog_pid, results)
    if args.training:
        run(label, "training", cargo + ["speed", "--", "--parallel", "--quick"], args.hog_pid, training)


def wait_idle(seconds):
    """Waits until other processes use under 0.1 core over 5 s, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        b0 = machine_busy()
        time.sleep(5)
        load = (machine_busy() - b0) / 5
        if load < 0.1 or time.monotonic() > deadline:
            print(f"IDLE\t{load:.2f}\t{'quiet' if load < 0.1 else 'gave up waiting'}", flush=True)
            return
        print(f"# waiting for a quiet machine: {load:.2f} cores busy", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("wait-idle")
    w.add_argument("seconds", type=float)
    p = sub.add_parser("phase")
    p.add_argument("--label", required=True)
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--models", type=Path, required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--training", action="store_true")
    p.add_argument("--hog-pid", type=int)
    args = parser.parse_args()
    if args.command == "wait-idle":
        wait_idle(args.seconds)
    else:
        phase(args)


if __name__ == "__main__":
    main()
