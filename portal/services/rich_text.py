"""Markdown bodies rendered once, on write, to HTML cleaned by an allow-list."""
import re

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
    "img", "span",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+-]{1,32}")
_ALIGN = {"left", "right", "center"}
MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]


def _keep_attribute(tag, name, value):
    """Second filter after the allow-list: only values our own Markdown produces survive."""
    if name == "class":
        # Fenced code blocks mark their language; any other class could borrow the page's own styles.
        return value if _LANGUAGE_CLASS.fullmatch(value) else None
    if name == "align":
        return value if value in _ALIGN else None
    return value


_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_keep_attribute,
    url_schemes=URL_SCHEMES,
    link_rel="noopener nofollow",
    strip_comments=True,
)


def _markdown():
    # A Markdown instance keeps state between calls, so each render gets its own (threads share nothing).
    md = markdown.Markdown(
        extensions=MARKDOWN_EXTENSIONS,
        extension_configs={"tables": {"use_align_attribute": True}},  # the CSP refuses style="" attributes
        output_format="html",
    )
    # Raw HTML in a message is shown as text: people paste markup and error pages, and should see what they pasted.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def render(text):
    """Markdown to safe HTML: raw HTML in the source is shown as text, links open nothing but http(s) and mail."""
    return sanitize(_markdown().convert(text or ""))


def sanitize(html):
    """Any HTML cut down to the allow-list (the last line of defence behind the Markdown renderer)."""
    return _cleaner.clean(html or "")
