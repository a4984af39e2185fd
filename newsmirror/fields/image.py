"""The lead image: the share image the page declares, or the body's first picture.

The share image is a page-level candidate read here; the body's first picture is known
only once the body is cleaned, so :func:`lead_image` makes the final choice then.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from newsmirror.clean import absolute_url
from newsmirror.extract.metadata import ld_image
from newsmirror.fields.base import Candidate, FieldChoice, PageContext, Tier

_DEFAULT_IMAGE = re.compile(r"/default/|(?:^|[/_-])(?:logo|favicon|placeholder|default)[^/]*$", re.IGNORECASE)
# Stand-ins that show nothing: WordPress.com's "blank.jpg" share image, spacers, "no image".
# Only a file named so and nothing else: "blank-ballot.jpg" is a picture.
_STAND_IN = re.compile(r"(?:blank|spacer|pixel|transparent|1x1|no[-_]?image|no[-_]?photo)\d*", re.IGNORECASE)
# QR-code promos (qrcode, 二维码 spelled erweima/ewm): a word of the file name, ending there
# ("3QR_" inside an agency's picture id is no such word).
_QR_CODE = re.compile(r"(?:^|[_-])(?:qr-?code|qr|erweima|ewm|二维码)(?=[._-]|\d|$)", re.IGNORECASE)


def is_default_image(url: str) -> bool:
    """Tell whether an image URL looks like a site-wide logo or default share image, a stand-in or a QR code."""
    return bool(_DEFAULT_IMAGE.search(urlsplit(url).path)) or is_stand_in(url)


def is_stand_in(url: str) -> bool:
    """Tell whether an image URL names a picture of nothing (blank.jpg, a spacer) or a QR-code promo."""
    file_name = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    return bool(_STAND_IN.fullmatch(file_name.split(".")[0]) or _QR_CODE.search(file_name))


def candidates(context: PageContext, site_value: str = "") -> list[Candidate]:
    """Return the share images the page declares, absolute, in the order they are believed.

    og:image comes before JSON-LD's image: it is the picture the editors chose for sharing
    this very article, where JSON-LD's is often a logo or the first of a gallery.
    """
    page = context.page
    found = [Candidate(site_value, "site module", Tier.SITE)] if site_value else []
    found.append(Candidate(page.meta("og:image", "og:image:url", "twitter:image"), "og:image", Tier.META))
    found.append(Candidate(ld_image(context.article), "json-ld image", Tier.STRUCTURED))
    resolved = [
        Candidate(absolute_url(candidate.value, page.url) or "", candidate.source, candidate.tier, candidate.note)
        for candidate in found if candidate.value
    ]
    return [candidate for candidate in resolved if candidate.value]


def choose(context: PageContext, site_value: str = "") -> FieldChoice:
    """Choose the share image: the first declared one (see :func:`candidates` for the order)."""
    return FieldChoice("share_image", value="").take_first(candidates(context, site_value), "comes first")


def lead_image(
    share: str | None,
    first_body_image: str | None,
    site_default: Callable[[str], bool],
    body_image_first: bool,
) -> str | None:
    """Return the post's lead image from the share image and the cleaned body's first picture.

    A site-wide logo or share card says nothing about the article and is dropped.
    """
    if share and (site_default(share) or is_default_image(share)):
        share = None
    if first_body_image and is_stand_in(first_body_image):
        # A QR-code promo or a spacer left in the body is no picture of the article.
        first_body_image = None
    if body_image_first:
        # A site whose body element is known holds the article's own pictures only.
        return first_body_image or share
    # Elsewhere the share image is chosen by the page's editors for this article;
    # the first body image is often an ad or a related-story thumbnail.
    return share or first_body_image
