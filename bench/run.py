"""Run every benchmark and write BENCHMARKS.md: `make bench` (or `--quick` for small sizes).

Each bench/bench_*.py prints a markdown section with its own baseline,
measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine  # noqa: E402

BENCHES = {  # script -> (full-size args, quick args)
    "bench_collect.py": (["--n", "100000"], ["--n", "5000"]),
    "bench_analysis.py": ([], ["--n", "100000"]),
    "bench_submit.py": ([], ["--quick"]),
    "bench_dashboard.py": (["--n", "100000"], ["--n", "10000"]),
    "bench_publish.py": ([], ["--n", "5000", "--companies", "100"]),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", help="run only this bench script")
    args = parser.parse_args()
    sections = []
    for script, (full, quick) in BENCHES.items():
        if args.only and args.only != script:
            continue
        path = ROOT / "bench" / script
        if not path.exists():
            continue
        print(f"running {script} ...", file=sys.stderr)
        done = subprocess.run([sys.executable, str(path), *(quick if args.quick else full)], cwd=ROOT,
                              capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        if done.returncode:
            sections.append(f"### {script}\n\nFAILED:\n\n```\n{done.stderr[-3000:]}\n```\n")
        else:
            sections.append(done.stdout)
    header = ("# Benchmarks\n\nRun with `make bench` (full sizes) or `.venv/bin/python bench/run.py --quick`.\n"
              "Every figure is a ratio against a baseline measured in the same run on the same machine.\n\n"
              f"Machine: {machine()}\n\n")
    if not args.only:
        (ROOT / "BENCHMARKS.md").write_text(header + "\n".join(sections))
    print(header + "\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
