"""The Jekyll format: ``_posts/YYYY-MM-DD-<slug>.md``, the only posts Jekyll sees.

The path template's folders stay, above ``_posts`` (Jekyll reads ``<folder>/_posts/``
too), except ``{categories}``; its file name becomes Jekyll's, the date in the article's own zone and the
title's slug. Jekyll runs every post through Liquid, so every brace in the body is
written as an entity: no ``{{ }}`` or ``{% %}`` of an article's text is ever a tag.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from newsmirror.formats.base import PostFormat
from newsmirror.formats.frontmatter import Post, clean_fields, html_body_lines, post_day, yaml_list, yaml_scalar, yaml_single_quoted
from newsmirror.paths import slugify, url_token

POSTS_FOLDER = "_posts"


def jekyll_date(moment: datetime) -> str:
    """Return an aware datetime the way Jekyll writes one: ``2022-03-29 19:47:10 +0800``."""
    if moment.tzinfo is None:
        raise ValueError("a post date must carry its time zone")
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def jekyll_categories(categories: list[str]) -> list[str]:
    """Return the categories as Jekyll can build a URL from them.

    Jekyll's default permalink puts the categories, joined by "/", in each post's URL and
    parses them as a URI reference (Addressable): a colon in the first category reads as
    a scheme ("1a: b" stops the whole site's build, "Invalid scheme format"), a leading
    "//" as a host. The full-width colon and solidus read the same and are path text.
    Jekyll keeps a category once, so each is written once.
    """
    if not categories:
        return categories
    first = categories[0].replace(":", "\uff1a")
    if first.startswith("/"):
        first = "\uff0f" + first[1:]
    return list(dict.fromkeys([first, *categories[1:]]))


def render_jekyll(post: Post, *, with_link: bool = False) -> bytes:
    """Return a Jekyll post: YAML front matter, then the body as an HTML block."""
    fields = clean_fields(post)
    # Quoted: Jekyll parses the string itself (zone included), and PyYAML reads it back as written.
    lines = ["---", f"title: {yaml_single_quoted(fields.title)}", f"date: {yaml_single_quoted(post_day(post) if post.day_only else jekyll_date(post.date))}"]
    lines.append(f"author: {yaml_scalar(fields.author)}")
    lines += yaml_list("categories", jekyll_categories(fields.categories))
    if fields.lead_image:
        lines.append(f"image: {yaml_single_quoted(fields.lead_image)}")  # jekyll-seo-tag and most themes
    if with_link and fields.source_url:
        lines.append(f"link: {yaml_single_quoted(fields.source_url)}")
    lines += ["---", "", *html_body_lines(post)]
    return "\n".join(lines).encode("utf-8")


class JekyllFormat(PostFormat):
    """Jekyll posts under ``_posts/``, named ``YYYY-MM-DD-<slug>.md``."""

    name: ClassVar[str] = "jekyll"

    def __init__(self, *, path_template: str, images: bool = False) -> None:
        if images:
            # Jekyll publishes nothing from _posts/ but the posts: copies there would be lost
            # and every image of every post broken.
            raise ValueError(
                "MIRROR_IMAGES does not work with the jekyll format (Jekyll publishes no image kept"
                " beside a post in _posts/); leave it off: the posts keep the images' own URLs"
            )
        super().__init__(path_template=path_template, images=images)

    def builder_template(self, path_template: str) -> str:
        """Keep the template's folders but ``{categories}``; name the file as Jekyll wants it.

        Jekyll reads every folder above ``_posts`` as one more category: category folders
        would repeat the front matter's, or add a wrong one where a name had to be made
        safe ("a: b" is the folder "a_ b").
        """
        folders = [part for part in path_template.split("/")[:-1] if "{categories}" not in part]
        return "/".join([*folders, "{date:%Y-%m-%d}-{slug}.md"])

    def render(self, post: Post, *, with_link: bool = False) -> bytes:
        """Return the post as a Jekyll Markdown file with an HTML body."""
        return render_jekyll(post, with_link=with_link)

    def place(self, built: str) -> str:
        """Put the file in a ``_posts`` folder (the path builder never writes a leading ``_``)."""
        folders, _, name = built.rpartition("/")
        return f"{folders}/{POSTS_FOLDER}/{name}" if folders else f"{POSTS_FOLDER}/{name}"

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
        """Return the post's path; a title without a letter or digit gets ``post-<id>`` as its slug."""
        if not slugify(title):
            title = f"post-{url_token(url)}"  # "2024-01-05-.md" would give Jekyll an empty slug
        return super().build_path(title=title, categories=categories, date=date, url=url, site=site, token=token)
