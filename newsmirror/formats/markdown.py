"""The Markdown format: YAML front matter, and the body converted to CommonMark with GFM tables.

For tools that want text (search indexes, note apps, language-model pipelines) rather
than a site generator. The body is converted by markdownify, set up so that what a
CommonMark renderer shows is the text of the HTML body:

- Text that reads as Markdown (``*``, ``_``, ``#``, ``>``, ``[x](y)``, ``<tag>``) is
  backslash-escaped; every brace is an entity (``&#123;``), so no template language
  that runs before Markdown (Liquid, Hugo shortcodes, Nunjucks, Jinja) sees ``{{``,
  ``{%`` or ``{#``.
- Code whose text holds such an opener cannot be escaped inside a code span or a fence,
  so it is written as an HTML ``<pre>``/``<code>`` with the braces as entities.
- Emphasis whose text starts or ends with punctuation (``**“引号”**中文``) would not
  parse as emphasis under CommonMark's flanking rules, so it is written as ``<strong>``.
- Links and images keep only http(s), mailto and relative targets; anything else
  (``javascript:``) keeps its text and loses the link.
- Tables that GFM cannot hold (a table in a cell, a list or a code block in a cell) are
  layout, and are written as their blocks in order; rows are padded to one width so
  GFM drops no cell.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from bs4 import BeautifulSoup, Tag
from markdownify import ATX, SPACES, MarkdownConverter, chomp

from newsmirror.formats.base import PostFormat
from newsmirror.formats.frontmatter import Post, clean_fields, post_day, rfc3339, yaml_list, yaml_scalar, yaml_single_quoted

# markdownify's escape_misc set, less "&" (escaped only where it starts an entity).
_MARKDOWN_PUNCTUATION = re.compile(r"([]\\<`[>~=+|])")
_ENTITY_START = re.compile(r"&(?=#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_DASH_RUN = re.compile(r"(\s|^)(-+(?:\s|$))")
_HASH_RUN = re.compile(r"(\s|^)(#{1,6}(?:\s|$))")
_LIST_NUMBER = re.compile(r"((?:\s|^)[0-9]{1,9})([.)](?:\s|$))")
# What starts a tag in Liquid, Hugo, Nunjucks or Jinja: code holding one is not fenced.
_TEMPLATE_OPENER = re.compile(r"\{[{%#]")
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_IMAGE_SCHEMES = frozenset({"http", "https"})
# Characters a link destination in <...> cannot hold, or that a template language reads.
_DESTINATION_UNSAFE = "<>{}\\\n\r"
# Elements GFM cannot put in a table cell: a table holding one is layout, not data.
_CELL_BREAKERS = ["table", "ul", "ol", "li", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "dl", "hr"]
_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
# Blocks a heading cannot hold: a heading holding one is written as the blocks.
_HEADING_BREAKERS = ["table", "ul", "ol", "li", "pre", "blockquote", "dl"]
# Inline elements written as delimiter runs: two side by side merge ("*a**b*", "`a``b`").
_EMPHASIS_KINDS = {"b": "strong", "strong": "strong", "i": "em", "em": "em", "del": "del", "s": "del", "code": "code"}
# Inline elements written as their bare text: what follows them is what follows the text before.
_NO_MARKUP = frozenset({"span", "u", "ins", "mark", "small", "abbr", "cite", "dfn", "time", "var", "font", "big"})
_TABLE_PARTS = ["thead", "tbody", "tfoot", "tr", "td", "th", "caption"]



def _is_word_char(char: str) -> bool:
    """Tell whether *char* is neither white space nor punctuation in CommonMark's sense."""
    return not (char.isspace() or unicodedata.category(char)[0] in "PS")


def safe_destination(url: str, schemes: frozenset[str]) -> str | None:
    """Return *url* as a CommonMark link destination, or None when its scheme is not allowed."""
    url = url.strip()
    if not url:
        return None
    # Checked as written and as an entity-decoding renderer would read it ("javascript&#58;x").
    for reading in (url, html.unescape(url)):
        try:
            scheme = urlsplit(reading).scheme.lower()
        except ValueError:
            return None
        if scheme and scheme not in schemes:
            return None
        if not scheme and ":" in reading.split("/", 1)[0]:
            return None  # a colon before any slash is a scheme to a browser
    url = "".join(quote(char, safe="") if char in _DESTINATION_UNSAFE else char for char in url)
    # CommonMark decodes entities in a destination: "javascript&#58;x" must stay those characters.
    url = _ENTITY_START.sub(r"\\&", url)
    # Pointy brackets hold spaces and parentheses; inside them only "\" and "<>" are special.
    return f"<{url}>" if any(char in url for char in " ()") else url


def entity_braces(text: str) -> str:
    """Write ``&`` that starts an entity, ``{`` and ``}`` as entities: text to every renderer, no tag to a template.

    A backslash would not do: ``\\{%`` is still ``{%`` to Liquid, and kramdown (Jekyll's
    Markdown) shows the backslash of ``\\%``; every Markdown renderer reads an entity.
    """
    text = _ENTITY_START.sub("&amp;", text)
    return text.replace("{", "&#123;").replace("}", "&#125;")


def escape_title(title: str) -> str:
    """Return a link or image title for ``"..."``, escaped so it is only text."""
    return entity_braces(re.sub(r'(["\\])', r"\\\1", title))


def flatten_pre(pre: Tag) -> None:
    """Replace what a ``<pre>`` holds by its text, ``<br>`` as a newline. In place.

    A code block shows its text verbatim: a heading or a table inside one (pages do
    that) would otherwise be written as Markdown markup inside the fence.
    """
    if pre.find_parent("pre") is not None:
        return  # the outer <pre> has taken this one's text
    for line_break in pre.find_all("br"):
        line_break.replace_with("\n")
    pre.string = pre.get_text()


def merge_adjacent_emphasis(soup: BeautifulSoup) -> None:
    """Join ``<em>a</em><em>b</em>`` (and bold, struck-out, code) into one element. In place.

    Written apart they would be ``*a**b*`` or ```a``b```, where CommonMark's delimiter
    rules pair the wrong runs and leave asterisks or backticks in the text.
    """
    for node in soup.find_all(list(_EMPHASIS_KINDS)):
        if node.parent is None:
            continue  # merged into its left neighbour already
        kind = _EMPHASIS_KINDS[node.name]
        following = node.next_sibling
        while isinstance(following, Tag) and _EMPHASIS_KINDS.get(following.name) == kind:
            for child in list(following.contents):
                node.append(child.extract())
            following.extract()
            following = node.next_sibling


class NewsMarkdownConverter(MarkdownConverter):
    """markdownify, set up and extended for cleaned article bodies (see the module docstring)."""

    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        newline_style = SPACES  # a trailing "\\" break at a block's end would show as a backslash
        escape_misc = False  # our escape() below does it, with braces and without "&"
        autolinks = False  # "<url>" takes no escapes: every link is [text](url)
        table_infer_header = True
        bullets = "-*+"
        sub_symbol = "<sub>"
        sup_symbol = "<sup>"
        bs4_options = "html.parser"

    def convert(self, html_text: str) -> str:
        """Return the Markdown of an HTML fragment."""
        soup = BeautifulSoup(html_text, **self.options["bs4_options"])
        self._header_rows: set[int] = set()
        merge_adjacent_emphasis(soup)
        for pre in soup.find_all("pre"):
            flatten_pre(pre)
        for heading in soup.find_all(_HEADINGS):
            if heading.find(_HEADING_BREAKERS) is not None:
                heading.name = "div"  # a list in an <h3>: the list is what a reader sees
        for table in soup.find_all("table"):  # outer tables first: a nested one is shaped on its own
            self._shape_table(table)
        return self.convert_soup(soup).strip("\n") + "\n"

    def _shape_table(self, table: Tag) -> None:
        """Turn a layout table into plain blocks; give a data table one header row and one width. In place."""
        own_parts = [part for part in table.find_all(_TABLE_PARTS) if part.find_parent("table") is table]
        if table.find(_CELL_BREAKERS) is not None:
            for part in [table, *own_parts]:
                part.name = "div"
                part.attrs = {}
            return
        # GFM has one header row: the first row in the source, as a browser shows a head-less
        # table's; a <tfoot> stays where the source has it, so the text keeps its order.
        rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
        if not rows:
            return
        self._header_rows.add(id(rows[0]))
        widths = [sum(self._span(cell) for cell in row.find_all(["td", "th"])) for row in rows]
        for row, width in zip(rows, widths):
            for _ in range(max(widths) - width):
                row.append(table.new_tag("td"))  # GFM ignores cells beyond the header's count

    @staticmethod
    def _span(cell: Tag) -> int:
        """Return a cell's colspan as markdownify reads it."""
        span = str(cell.get("colspan", "1"))
        return max(1, min(1000, int(span))) if span.isdigit() else 1

    def escape(self, text: str, parent_tags: Any) -> str:
        """Escape what CommonMark, GFM or a template language would read in plain text."""
        if not text:
            return ""
        text = entity_braces(_MARKDOWN_PUNCTUATION.sub(r"\\\1", text))
        text = _DASH_RUN.sub(r"\1\\\2", text)
        text = _HASH_RUN.sub(r"\1\\\2", text)
        text = _LIST_NUMBER.sub(r"\1\\\2", text)
        return text.replace("*", r"\*").replace("_", r"\_")

    def process_text(self, el: Any, parent_tags: Any = None) -> str:
        """Convert a text node; a "!" right before a link is escaped, or "![" would make it an image."""
        text = super().process_text(el, parent_tags=parent_tags)
        if not text.endswith("!"):
            return text
        following = el.next_sibling
        while isinstance(following, Tag) and following.name in _NO_MARKUP:
            following = following.contents[0] if following.contents else None
        if isinstance(following, Tag) and following.name == "a":
            text = text[:-1] + "\\!"
        return text

    def convert_a(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write a link only to an allowed target; otherwise keep its text."""
        if "_noformat" in parent_tags:
            return text
        if "\n\n" in text:
            return text  # a link around blocks (a <p> or <h3> in an <a>): Markdown has none
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        destination = safe_destination(el.get("href") or "", _LINK_SCHEMES)
        if destination is None:
            return prefix + text + suffix
        title = el.get("title")
        title_part = f' "{escape_title(title)}"' if title else ""
        return f"{prefix}[{text}]({destination}{title_part}){suffix}"

    def convert_img(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write every image, also in table cells and headings, where GFM allows one."""
        destination = safe_destination(el.get("src") or "", _IMAGE_SCHEMES)
        if destination is None:
            return ""
        alt = self.escape(re.sub(r"\s+", " ", el.get("alt") or "").strip(), parent_tags)
        title = el.get("title")
        title_part = f' "{escape_title(title)}"' if title else ""
        return f"![{alt}]({destination}{title_part})"

    def _emphasis(self, symbol: str, tag: str, text: str, parent_tags: Any) -> str:
        """Write emphasis as *symbol* when CommonMark will read it so, as an HTML tag otherwise."""
        if "_noformat" in parent_tags:
            return text
        if "\n\n" in text:
            return text  # emphasis around blocks (a <b> holding a table): Markdown has none
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        if _is_word_char(text[0]) and _is_word_char(text[-1]):
            return f"{prefix}{symbol}{text}{symbol}{suffix}"
        # Punctuation at an edge: "**“引号”**中文" is no emphasis to CommonMark; a tag always is.
        return f"{prefix}<{tag}>{text}</{tag}>{suffix}"

    def convert_b(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write bold as ``**``."""
        return self._emphasis("**", "strong", text, parent_tags)

    convert_strong = convert_b

    def convert_em(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write italics as ``*``."""
        return self._emphasis("*", "em", text, parent_tags)

    convert_i = convert_em

    def convert_del(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write struck-out text as GFM's ``~~``."""
        return self._emphasis("~~", "del", text, parent_tags)

    convert_s = convert_del

    def convert_code(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write inline code as a code span, or as ``<code>`` when it holds a template opener."""
        if "_noformat" in parent_tags:
            return text
        # A line break in a code span is a space to CommonMark, but the next line could
        # start a list or a quote first; in a GFM table, a "|" ends the cell even in code.
        text = text.replace("\n", " ")
        if not _TEMPLATE_OPENER.search(text):
            if "td" in parent_tags or "th" in parent_tags:
                text = text.replace("|", "\\|")
            return super().convert_code(el, text, parent_tags)
        prefix, suffix, text = chomp(text)
        return f"{prefix}<code>{self.escape(text, parent_tags)}</code>{suffix}"

    convert_kbd = convert_code
    convert_samp = convert_code

    def convert_pre(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Fence a code block (longer than any backtick run in it), or write ``<pre>`` for template text."""
        text = text.strip("\n")
        if not text:
            return ""
        if _TEMPLATE_OPENER.search(text):
            escaped = html.escape(text, quote=False).replace("{", "&#123;").replace("}", "&#125;")
            # CommonMark ends a "<pre" HTML block only at "</pre>", so blank lines inside are kept.
            return f"\n\n<pre><code>{escaped}</code></pre>\n\n"
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", text)), default=0))
        return f"\n\n{fence}\n{text}\n{fence}\n\n"

    def convert_tr(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write a table row; the table's first row is its header, whatever its cells are."""
        if id(el) not in self._header_rows:
            return f"|{text}\n"
        width = sum(self._span(cell) for cell in el.find_all(["td", "th"]))
        return f"|{text}\n|{' --- |' * width}\n"

    def convert_list(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write a list; a nested one counting from other than 1 gets a blank line above it."""
        converted = super().convert_list(el, text, parent_tags)
        # CommonMark lets only a list starting at 1 interrupt a paragraph (the item's text).
        if "li" in parent_tags and el.name == "ol" and not converted.lstrip("\n").startswith("1."):
            return "\n" + converted
        return converted

    convert_ul = convert_list
    convert_ol = convert_list

    def convert_hN(self, n: int, el: Tag, text: str, parent_tags: Any) -> str:
        """Write an ATX heading; an empty one is nothing."""
        if not text.strip():
            return text
        return super().convert_hN(n, el, text, parent_tags)

    def convert_figure(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write a figure as its blocks: the image, then the caption as a paragraph."""
        if "_inline" in parent_tags:
            return text
        text = text.strip("\n")
        if el.find("pre") is None:  # blank lines inside a code block are its text
            text = re.sub(r"\n{3,}", "\n\n", text)
        return f"\n\n{text}\n\n" if text else ""

    def convert_ruby(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write ruby (furigana over kanji) as inline HTML, as <sub> is: Markdown has no way to
        put a reading above its base text, and run together ("子こども") they read as neither."""
        return f"<{el.name}>{text}</{el.name}>" if text else ""

    convert_rt = convert_rp = convert_ruby

    def convert_dt(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write a definition term as a paragraph (CommonMark has no definition lists)."""
        return self.convert_p(el, text, parent_tags)

    def convert_dd(self, el: Tag, text: str, parent_tags: Any) -> str:
        """Write a definition as a paragraph."""
        return self.convert_div(el, text, parent_tags)


def body_markdown(body_html: str) -> str:
    """Return a cleaned article body as CommonMark with GFM tables, ending in one newline."""
    return NewsMarkdownConverter().convert(body_html)


def render_markdown(post: Post) -> bytes:
    """Return a Markdown post: YAML front matter, a blank line, then the body as Markdown."""
    fields = clean_fields(post)
    lines = ["---", f"title: {yaml_single_quoted(fields.title)}", f"date: {post_day(post) if post.day_only else rfc3339(post.date)}"]
    lines.append(f"author: {yaml_scalar(fields.author)}")
    lines += yaml_list("categories", fields.categories)
    if fields.source_url:
        lines.append(f"link: {yaml_single_quoted(fields.source_url)}")
    if fields.lead_image:
        lines.append(f"image: {yaml_single_quoted(fields.lead_image)}")
    lines += ["---", "", body_markdown(post.body_html)]
    return "\n".join(lines).encode("utf-8")


class MarkdownFormat(PostFormat):
    """Plain Markdown posts for tools that want text: the body is Markdown, not an HTML blob."""

    name: ClassVar[str] = "markdown"

    def render(self, post: Post, *, with_link: bool = False) -> bytes:
        """Return the post as Markdown; the source link is always written (there is no sample to keep)."""
        return render_markdown(post)
