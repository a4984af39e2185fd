"""Site rules without Python: folders of FiveFilters Full-Text RSS site config files.

``MIRROR_SITE_RULES`` names a folder of such files (the public set is about 2,040 of
them). :mod:`~newsmirror.siterules.rules` reads one file, :mod:`~newsmirror.siterules.book`
a folder and which file speaks for a host, :mod:`~newsmirror.siterules.apply` applies a
rule to a page (its values are the most precise candidates, checked against a confident
generic value), :mod:`~newsmirror.siterules.headers` sends a rule's ``http_header`` lines.
"""

from newsmirror.siterules.apply import RuleReading, next_page_url, read_rule, rewrite_html, single_page_url
from newsmirror.siterules.book import RuleBook, load_rule_book, rule_book_for
from newsmirror.siterules.rules import Replacement, RuleLine, RuleTest, SiteRule, parse_rule_text

__all__ = [
    "Replacement", "RuleBook", "RuleLine", "RuleReading", "RuleTest", "SiteRule", "load_rule_book",
    "next_page_url", "parse_rule_text", "read_rule", "rewrite_html", "rule_book_for", "single_page_url",
]
