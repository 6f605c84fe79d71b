"""Regenerate the README's worked example: run the demo's train and predict (the Makefile's `demo` target) and write
their output between the README's markers; with --check, only compare and say what differs.

    python scripts/readme_example.py           # rewrite README.md's blocks (about 40 s on 2 cores: one training)
    python scripts/readme_example.py --check   # exit 1 when README.md's blocks differ from what the demo prints

The commands run from this checkout (`python -m stockrnn`, this interpreter) in a temporary home folder, offline, on a
terminal 80 columns wide. What the README leaves out of their output: the log lines (stderr), the legend of methods
under each table, the model's folder (a temporary path) and the forecast table's middle rows. The training's wall
time varies from run to run and with the machine's load: --check compares everything else (tests/test_readme.py runs
it as a slow test), and a rewrite keeps the README's time unless --time asks for this run's (on an idle machine).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CSV = "sample_data/sp500.csv"
# The Makefile's demo target, without its plot (a file, not text).
TRAIN = ["train", "--csv", CSV, "--symbol", "^GSPC", "--train-start", "2012-01-01", "--train-end", "2016-12-30"]
PREDICT = ["predict", "^GSPC", "--start", "2017-01-03", "--days", "20"]
BLOCKS = {"train": TRAIN, "predict": PREDICT}
KEPT_ROWS = (2, 1)  # of the forecast table: the first two days, then "...", then the last day
TIME = re.compile(r" in \d+(\.\d+)? s on ")  # the training's wall time: not reproducible


def begin(name: str) -> str:
    return f"<!-- readme-example {name}: written by scripts/readme_example.py; edit the script, not this block -->"


def end(name: str) -> str:
    return f"<!-- /readme-example {name} -->"


def run(args: list[str], home: str) -> str:
    """One stockrnn command's stdout, as a terminal 80 columns wide shows it."""
    env = {**os.environ, "STOCKRNN_HOME": home, "COLUMNS": "80", "PYTHONPATH": str(ROOT)}
    env.pop("NO_COLOR", None)
    done = subprocess.run(
        [sys.executable, "-m", "stockrnn", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"stockrnn {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def trimmed(output: str) -> str:
    """The output as the README shows it: no method legend ("  name: what it is"), no model folder, the forecast
    table's middle rows replaced by one "..." row; trailing spaces gone."""
    lines = [line.rstrip() for line in output.splitlines()]
    lines = [line for line in lines if not re.match(r"^  \w+: ", line) and not line.startswith("model saved in ")]
    days = [i for i, line in enumerate(lines) if re.match(r"^│ \d{4}-\d{2}-\d{2} ", line)]
    first, last = KEPT_ROWS
    if len(days) > first + last:
        row = lines[days[0]]
        gap = "".join(c if c == "│" else " " for c in row)
        gap = gap[:2] + "..." + gap[5:]
        lines = lines[: days[first]] + [gap] + lines[days[-last] :]
    return "\n".join(lines).strip("\n")


def generate() -> dict[str, str]:
    """Each block's text: the demo's commands run in a fresh temporary home, in order."""
    with tempfile.TemporaryDirectory(prefix="stockrnn-readme-") as home:
        return {name: trimmed(run(args, home)) for name, args in BLOCKS.items()}


def fenced(text: str) -> str:
    return f"```\n{text}\n```"


def blocks(readme: str) -> dict[str, str]:
    """The README's blocks between the markers (their text, without the fence); a SystemExit naming a missing
    marker."""
    found = {}
    for name in BLOCKS:
        pattern = re.escape(begin(name)) + r"\n```\n(.*?)\n```\n" + re.escape(end(name))
        match = re.search(pattern, readme, re.DOTALL)
        if match is None:
            raise SystemExit(f"{README}: no block between '{begin(name)}' and '{end(name)}'")
        found[name] = match.group(1)
    return found


def replaced(readme: str, new: dict[str, str]) -> str:
    for name, text in new.items():
        pattern = re.escape(begin(name)) + r"\n```\n.*?\n```\n" + re.escape(end(name))
        readme = re.sub(
            pattern, lambda _, n=name, t=text: f"{begin(n)}\n{fenced(t)}\n{end(n)}", readme, flags=re.DOTALL
        )
    return readme


def comparable(text: str) -> str:
    """What --check compares: the text without the training's wall time."""
    return TIME.sub(" in _ s on ", text)


def differences(readme: str, new: dict[str, str]) -> list[str]:
    """A unified diff per block whose text differs (the wall time aside); empty when they agree."""
    old, found = blocks(readme), []
    for name, text in new.items():
        if comparable(old[name]) != comparable(text):
            diff = difflib.unified_diff(old[name].splitlines(), text.splitlines(), "README.md", "demo", lineterm="")
            found.append(f"block {name}:\n" + "\n".join(diff))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when the README differs")
    parser.add_argument("--time", action="store_true", help="write this run's training time, not the README's")
    options = parser.parse_args()
    check = options.check
    readme = README.read_text(encoding="utf-8")
    old = blocks(readme)  # the markers first: no training for a README without them
    new = generate()
    recorded = TIME.search(old["train"])
    if recorded and not options.time:
        new["train"] = TIME.sub(lambda _: recorded.group(0), new["train"], count=1)
    if check:
        found = differences(readme, new)
        print("\n\n".join(found) if found else "README.md's worked example is what the demo prints")
        return 1 if found else 0
    README.write_text(replaced(readme, new), encoding="utf-8")
    print(f"wrote {len(new)} blocks into {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
