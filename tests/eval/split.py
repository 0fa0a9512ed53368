"""Split a blind set into its tuning and test halves, reproducibly.

    python -m tests.eval.split blind5 FILE_en.yaml FILE_ja.yaml FILE_vi.yaml

Each writer's file is split by label (the label as written, a list in its order) and, inside a
label, by the SHA-256 of the question's text: the first ``TUNE_SHARE`` of each label's questions,
in hash order, go to ``tune/<name>_<lang>.yaml``, the rest to ``test/<name>_<lang>.yaml``. Every
label is then in both halves as soon as it has two questions, and nobody chooses which question
goes where. (blind3 and blind4 were split the same way in session 4, by a script not kept.)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import yaml

from tests.matcher_eval import EVAL

TUNE_SHARE = 110 / 240


def halves(entries: list[dict[str, object]]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """(tuning half, test half) of one writer's entries, each in the file's order."""
    by_label: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        by_label.setdefault(repr(entry["expect"]), []).append(index)
    tune: set[int] = set()
    for indices in by_label.values():
        ordered = sorted(indices, key=lambda i: hashlib.sha256(str(entries[i]["q"]).encode()).hexdigest())
        tune.update(ordered[: round(len(ordered) * TUNE_SHARE)])
    return [e for i, e in enumerate(entries) if i in tune], [e for i, e in enumerate(entries) if i not in tune]


def write(path: Path, header: str, entries: list[dict[str, object]]) -> None:
    body = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(f"# {header}\n{body}", encoding="utf-8")


def main(name: str, files: list[str]) -> None:
    for file in files:
        lang = Path(file).stem.rsplit("_", 1)[1]
        entries = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
        tune, test = halves(entries)
        about = (
            f"Written blind by a native {lang} writer from the two source documents, the glossary and the "
            f"label list only ({name}). The %s half of the writer's {len(entries)} entries "
            "(split by label, by a hash of the text: tests/eval/split.py)."
        )
        write(EVAL / "tune" / f"{name}_{lang}.yaml", about % "tune", tune)
        write(EVAL / "test" / f"{name}_{lang}.yaml", about % "test", test)
        print(f"{name}_{lang}: {len(tune)} tune, {len(test)} test")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
