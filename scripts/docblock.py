"""Rewrite a marked block of a docs page with a script's output, so that a page's numbers come from its script.

A block is the lines between `<!-- NAME: ... -->` and `<!-- end NAME -->`; the markers stay.
"""

from __future__ import annotations

import re
from pathlib import Path


def replace_block(page: Path, name: str, text: str) -> None:
    """Put `text` between the markers of block `name` in `page`; a `SystemExit` naming them when they are missing."""
    content = page.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- {re.escape(name)}:[^\n]*-->\n)(.*?)(<!-- end {re.escape(name)} -->)", re.S)
    if not pattern.search(content):
        raise SystemExit(f"{page}: no <!-- {name}: ... --> ... <!-- end {name} --> markers")
    page.write_text(
        pattern.sub(lambda m: m.group(1) + text.rstrip("\n") + "\n" + m.group(3), content), encoding="utf-8"
    )


def stamp(command: str) -> str:
    """The date, the commit and the command, as a results page opens its table."""
    import datetime
    import os
    import subprocess

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip() or "unknown"  # fmt: skip
    return (f"Measured {datetime.date.today():%Y-%m-%d} at commit {commit} on {os.cpu_count()} cores, no GPU:\n\n"
            f"    {command}\n")  # fmt: skip
