"""The docs build's hook (mkdocs.yml ``hooks:``): each page's ``<!-- generated: NAME -->`` lines become
the code's own text (:mod:`mockserver.docsite`), and the gallery's images, rendered by the fake at
build time, are added to the site. Only wiring: the text is made in the package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from mockserver.docsite import UnknownMarker, fill, gallery_images


def on_files(files: Files, config: Any) -> Files:
    for image in gallery_images():
        files.append(File.generated(config, image.path, content=image.data))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    root = Path(config.config_file_path).resolve().parent  # the checkout: pyproject.toml, ./dev, CHANGELOG.md
    try:
        return fill(markdown, root, page.file.src_uri)
    except UnknownMarker as exc:  # the build stops, naming the page and the name
        raise PluginError(str(exc)) from None
