"""Small feeds written for the tests, one per format and per kind of breakage, as raw bytes.

Each fixture is the bytes a server sends, its Content-Type, and what a reader must find.
Their article links point at ``news.example.com``; only the crawls that fetch pages
serve pages there.
"""

from __future__ import annotations

from dataclasses import dataclass

FEED_HOST = "feeds.example.com"
NEWS = "http://news.example.com"


@dataclass(frozen=True)
class FeedFixture:
    """A feed as served, and what reading it must give."""

    name: str  # the file name under FEED_HOST
    body: bytes
    content_type: str
    title: str  # the feed's title, the default category
    items: list[tuple[str, str, str | None, str]]  # title, link, date (UTC ISO) or None, a snippet of its HTML
    format: str

    @property
    def url(self) -> str:
        """Where the loopback server serves this feed."""
        return f"http://{FEED_HOST}/{self.name}"


RSS_091 = FeedFixture(
    "rss091.xml",
    b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="0.91"><channel><title>Old Times</title><link>http://news.example.com/</link>
<description>Netscape-era news</description><language>en-us</language>
<item><title>Ninety-one lives</title><link>http://news.example.com/rss091/1.html</link>
<description>&lt;p&gt;Escaped &lt;b&gt;ninety-one&lt;/b&gt; body.&lt;/p&gt;</description></item>
</channel></rss>""",
    "application/rss+xml",
    "Old Times",
    [("Ninety-one lives", f"{NEWS}/rss091/1.html", None, "<b>ninety-one</b>")],
    "rss091u",
)

RSS_10 = FeedFixture(
    "rdf.xml",
    b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://news.example.com/"><title>RDF Daily</title><link>http://news.example.com/</link>
<description>d</description><items><rdf:Seq><rdf:li rdf:resource="http://news.example.com/rdf/1.html"/></rdf:Seq></items></channel>
<item rdf:about="http://news.example.com/rdf/1.html"><title>Resource described</title>
<link>http://news.example.com/rdf/1.html</link><dc:date>2024-03-05T08:30:00+08:00</dc:date><dc:creator>Ada Lovelace</dc:creator>
<description>A plain-text RDF description.</description></item>
</rdf:RDF>""",
    "application/rdf+xml",
    "RDF Daily",
    [("Resource described", f"{NEWS}/rdf/1.html", "2024-03-05T00:30:00+00:00", "A plain-text RDF description.")],
    "rss10",
)

RSS_20_CONTENT_ENCODED = FeedFixture(
    "rss20.xml",
    """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Twenty News</title><link>http://news.example.com/</link><description>d</description>
<item><title>Encoded content wins</title><link>http://news.example.com/rss20/1.html</link>
<pubDate>Tue, 29 Mar 2022 11:47:10 GMT</pubDate><dc:creator>Grace Hopper</dc:creator>
<description>Only a teaser.</description>
<content:encoded><![CDATA[<p>The <em>full</em> story, with a <a href="/rss20/more.html">relative link</a>.</p><p>Second paragraph — 第二段。</p>]]></content:encoded></item>
</channel></rss>""".encode(),
    "application/rss+xml",
    "Twenty News",
    [("Encoded content wins", f"{NEWS}/rss20/1.html", "2022-03-29T11:47:10+00:00", "Second paragraph — 第二段。")],
    "rss20",
)

ATOM_03 = FeedFixture(
    "atom03.xml",
    b"""<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Atom Zero Three</title>
<link rel="alternate" type="text/html" href="http://news.example.com/"/><modified>2005-01-02T00:00:00Z</modified>
<entry><title>Draft era entry</title><link rel="alternate" type="text/html" href="http://news.example.com/atom03/1.html"/>
<id>tag:news.example.com,2005:1</id><issued>2005-01-01T12:00:00-05:00</issued><modified>2005-01-01T18:00:00Z</modified>
<author><name>Mark Pilgrim</name></author>
<content type="text/html" mode="escaped">&lt;p&gt;Atom 0.3 &lt;i&gt;escaped&lt;/i&gt; content.&lt;/p&gt;</content></entry>
</feed>""",
    "application/atom+xml",
    "Atom Zero Three",
    [("Draft era entry", f"{NEWS}/atom03/1.html", "2005-01-01T17:00:00+00:00", "<i>escaped</i>")],
    "atom03",
)

ATOM_10 = FeedFixture(
    "atom10.xml",
    b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom One</title><link href="http://news.example.com/"/>
<id>urn:atom-one</id><updated>2024-05-01T00:00:00Z</updated>
<entry><title type="html">Tags &amp;lt;b&amp;gt; in titles</title><link rel="alternate" href="http://news.example.com/atom10/1.html"/>
<id>urn:atom-one:1</id><published>2024-05-01T10:00:00+02:00</published><updated>2024-05-02T10:00:00+02:00</updated>
<author><name>Tim Bray</name></author>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>XHTML <strong>inline</strong> content.</p></div></content></entry>
</feed>""",
    "application/atom+xml",
    "Atom One",
    [("Tags <b> in titles", f"{NEWS}/atom10/1.html", "2024-05-01T08:00:00+00:00", "<strong>inline</strong>")],
    "atom10",
)

JSON_FEED = FeedFixture(
    "feed.json",
    """{"version": "https://jsonfeed.org/version/1.1", "title": "JSON Times", "home_page_url": "http://news.example.com/",
 "items": [
  {"id": "1", "url": "http://news.example.com/json/1.html", "title": "Braces {kept} in JSON",
   "content_html": "<p>JSON <b>feed</b> body 中文。</p>", "date_published": "2024-02-10T09:15:00+08:00",
   "authors": [{"name": "Manton Reece"}]},
  {"id": "2", "url": "http://news.example.com/json/2.html", "title": "Text only",
   "content_text": "Line one.\\n\\nLine <two>.", "date_published": "2024-02-11T00:00:00Z"}
 ]}""".encode(),
    "application/feed+json",
    "JSON Times",
    [
        ("Braces {kept} in JSON", f"{NEWS}/json/1.html", "2024-02-10T01:15:00+00:00", "<b>feed</b> body 中文。"),
        ("Text only", f"{NEWS}/json/2.html", "2024-02-11T00:00:00+00:00", "<p>Line &lt;two&gt;.</p>"),
    ],
    "json1.1",
)

RSSHUB = FeedFixture(
    "rsshub.xml",
    """<?xml version="1.0" encoding="UTF-8"?><rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel>
<title><![CDATA[新浪财经－国內]]></title><link>https://finance.sina.com.cn/china/</link>
<description><![CDATA[新浪财经－国內 - Made with love by RSSHub(https://github.com/DIYgod/RSSHub)]]></description>
<generator>RSSHub</generator><language>zh-cn</language>
<item><title><![CDATA[央行：稳健货币政策要灵活适度]]></title>
<description><![CDATA[<p>　　新浪财经讯 央行召开会议。</p><img src="https://n.sinaimg.cn/finance/demo.jpg" width="600" height="400"><p>全文在此。</p>]]></description>
<pubDate>Tue, 29 Mar 2022 11:47:10 GMT</pubDate><guid isPermaLink="false">https://finance.sina.com.cn/rsshub/1.shtml</guid>
<link>https://finance.sina.com.cn/rsshub/1.shtml</link></item>
</channel></rss>""".encode(),
    "application/xml; charset=utf-8",
    "新浪财经－国內",
    [("央行：稳健货币政策要灵活适度", "https://finance.sina.com.cn/rsshub/1.shtml", "2022-03-29T11:47:10+00:00", "全文在此。")],
    "rss20",
)

WHITESPACE_BEFORE_DECLARATION = FeedFixture(
    "whitespace.xml",
    b"""
  <?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Loose Start</title><link>http://news.example.com/</link>
<item><title>Blank lines first</title><link>http://news.example.com/ws/1.html</link>
<pubDate>Fri, 21 Nov 2025 00:00:00 +0000</pubDate><description>&lt;p&gt;Still a feed.&lt;/p&gt;</description></item>
</channel></rss>""",
    "application/xml",
    "Loose Start",
    [("Blank lines first", f"{NEWS}/ws/1.html", "2025-11-21T00:00:00+00:00", "Still a feed.")],
    "rss20",
)

LATIN1_UNDECLARED = FeedFixture(
    "latin1.xml",
    """<rss version="2.0"><channel><title>Notícias</title><link>http://news.example.com/</link>
<item><title>São Paulo: eleição</title><link>http://news.example.com/latin1/1.html</link>
<pubDate>Mon, 24 Sep 2018 19:42:40 -0300</pubDate><description>&lt;p&gt;Ação e opinião.&lt;/p&gt;</description></item>
</channel></rss>""".encode("latin-1"),
    "text/xml",
    "Notícias",
    [("São Paulo: eleição", f"{NEWS}/latin1/1.html", "2018-09-24T22:42:40+00:00", "Ação e opinião.")],
    "rss20",
)

WRONG_DECLARED_ENCODING = FeedFixture(
    "wrong-encoding.xml",
    """<?xml version="1.0" encoding="iso-8859-1"?>
<rss version="2.0"><channel><title>错误的声明</title><link>http://news.example.com/</link>
<item><title>声明与字节不符</title><link>http://news.example.com/wrong/1.html</link>
<pubDate>Wed, 06 Mar 2024 02:00:00 GMT</pubDate><description>&lt;p&gt;字节是 UTF-8。&lt;/p&gt;</description></item>
</channel></rss>""".encode(),
    "application/xml",
    "错误的声明",
    [("声明与字节不符", f"{NEWS}/wrong/1.html", "2024-03-06T02:00:00+00:00", "字节是 UTF-8。")],
    "rss20",
)

MISSING_PUBDATE = FeedFixture(
    "no-date.xml",
    b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Dateless</title><link>http://news.example.com/</link>
<item><title>When was this?</title><link>http://news.example.com/nodate/1.html</link>
<description>&lt;p&gt;No pubDate anywhere.&lt;/p&gt;</description></item>
</channel></rss>""",
    "application/rss+xml",
    "Dateless",
    [("When was this?", f"{NEWS}/nodate/1.html", None, "No pubDate anywhere.")],
    "rss20",
)

# Every well-formed-enough fixture, for the format tests.
ALL_FEEDS = [
    RSS_091,
    RSS_10,
    RSS_20_CONTENT_ENCODED,
    ATOM_03,
    ATOM_10,
    JSON_FEED,
    RSSHUB,
    WHITESPACE_BEFORE_DECLARATION,
    LATIN1_UNDECLARED,
    WRONG_DECLARED_ENCODING,
    MISSING_PUBDATE,
]

NOT_A_FEED = b"<html><head><title>Moved</title></head><body><p>This is a web page, not a feed.</p></body></html>"
