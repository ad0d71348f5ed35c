"""docs/architecture.md's walk of one event (schedule tick -> drift mail) names real files, each once,
and says how long it is; the issue that asked for it measured 42 file-to-file hops through 24
files, doubling back four times."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text()


def walk() -> list[tuple[int, str]]:
    """(depth, file) of each entry between the walk's markers."""
    block = DOC.split("<!-- walk:start -->", 1)[1].split("<!-- walk:end -->", 1)[0]
    entries = []
    for line in block.strip().splitlines():
        found = re.fullmatch(r"( *)- `([^`]+)`: .+", line)
        assert found, f"not a walk entry: {line!r}"
        entries.append((len(found.group(1)) // 2, found.group(2)))
    return entries


def test_every_file_of_the_walk_exists() -> None:
    missing = [name for _, name in walk() if not (ROOT / name).is_file()]
    assert missing == []


def test_the_walk_never_comes_back_to_a_file() -> None:
    names = [name for _, name in walk()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_each_entry_is_reached_from_the_one_above_it() -> None:
    depths = [depth for depth, _ in walk()]
    assert depths[0] == 0 and depths.count(0) == 1  # one start: the schedule
    assert all(later <= earlier + 1 for earlier, later in itertools.pairwise(depths))


def test_the_stated_length_is_the_walks_and_shorter_than_before() -> None:
    files = len(walk())
    stated = re.search(r"That is (\d+) file-to-file hops through (\d+) files\.", DOC)
    assert stated, "the walk's length is stated"
    assert (int(stated.group(1)), int(stated.group(2))) == (files - 1, files)
    assert files - 1 < 42 and files < 24
