"""The one build step ``pyproject.toml`` cannot express: ship the content inside the package.

Editors and translators keep ``dialogues/``, ``locales/``, ``search/``, ``languages.yaml`` and
``babel.cfg`` at the top of the repository; the wheel carries a copy in ``<package>/content/``
with the same layout, read with ``importlib.resources`` (``retainment_bot/project.py``). A source checkout
or an editable install reads the checkout instead, so this step only runs for real builds. The
sdist gets the same files through ``MANIFEST.in``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PACKAGE = "retainment_bot"  # the import name, as in pyproject.toml's [tool.setuptools.packages.find]
CONTENT = ("babel.cfg", "languages.yaml", "dialogues", "locales", "search")  # what project.py reads
SKIP = shutil.ignore_patterns("*.mo", "__pycache__", "*~", ".*")


class BuildWithContent(build_py):
    """``build_py`` that also copies the content into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / PACKAGE / "content"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in CONTENT:
            source = Path(name)
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=SKIP)
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithContent})
