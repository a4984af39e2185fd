"""What a post format is: how a post becomes bytes, and where its file goes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

from newsmirror.formats.frontmatter import Post
from newsmirror.paths import PathBuilder, with_suffix


class PostFormat:
    """One tool's post format; subclasses set ``name`` and ``render``, and may move the file.

    Paths start as ``MIRROR_PATH_TEMPLATE`` renders them (contained, ``.md``, Hexo's
    file-name rule); :meth:`place` then gives the path this format's tool expects.
    """

    name: ClassVar[str]
    # The post file's extension, as docs/formats/<name>.md shows it.
    extension: ClassVar[str] = ".md"

    def __init__(self, *, path_template: str, images: bool = False) -> None:
        self.images = images
        self.path_builder = PathBuilder(self.builder_template(path_template))

    def builder_template(self, path_template: str) -> str:
        """Return the path template this format renders (most keep the operator's)."""
        return path_template

    def render(self, post: Post, *, with_link: bool = False) -> bytes:
        """Return the post file's bytes."""
        raise NotImplementedError

    def place(self, built: str) -> str:
        """Return where the file goes, given the path the template rendered (ending ``.md``)."""
        return built

    def asset_folder(self, post_file: Path) -> Path:
        """Return the folder a post's local image copies go in (``MIRROR_IMAGES``)."""
        return post_file.with_suffix("")

    def build_path(
        self,
        *,
        title: str,
        categories: list[str] | tuple[str, ...],
        date: datetime,
        url: str,
        site: str = "",
        token: str | None = None,
    ) -> str:
        """Return the post's path relative to ``MIRROR_DIR``; *token* sets a colliding post apart."""
        built = self.path_builder.build(title=title, categories=categories, date=date, url=url, site=site)
        if token is not None:
            built = with_suffix(built, token)
        return self.place(built)
