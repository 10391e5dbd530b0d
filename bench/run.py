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
        body = (f"### {script}\n\nFAILED:\n\n```\n{done.stderr[-3000:]}\n```\n" if done.returncode
                else done.stdout)
        sections.append((script, body))
    header = ("# Benchmarks\n\nRun with `make bench` (full sizes), `.venv/bin/python bench/run.py --quick`, or one "
              "bench with `--only bench_submit.py` (its section is replaced in place).\n"
              "Every figure is a ratio against a baseline measured in the same run on the same machine.\n\n"
              f"Machine: {machine()}\n\n")
    target = ROOT / "BENCHMARKS.md"
    if args.quick:
        pass  # small sizes: printed, never recorded
    elif args.only and target.exists():
        text = target.read_text()
        for script, body in sections:
            text = replace_section(text, script, body)
        target.write_text(text)
    else:
        target.write_text(header + "\n".join(wrap(script, body) for script, body in sections))
    print(header + "\n".join(body for _, body in sections))
    return 0


def wrap(script: str, body: str) -> str:
    return f"<!-- {script} -->\n{body.rstrip()}\n<!-- /{script} -->\n"


def replace_section(text: str, script: str, body: str) -> str:
    """``text`` with the section of ``script`` replaced (appended when it has none yet)."""
    start, end = f"<!-- {script} -->", f"<!-- /{script} -->"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        return before + wrap(script, body).rstrip("\n") + rest.split(end, 1)[1]
    return text.rstrip("\n") + "\n\n" + wrap(script, body)


if __name__ == "__main__":
    sys.exit(main())
