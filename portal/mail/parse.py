"""Mail in: one raw RFC 5322 message turned into plain data for the inbound service. Pure functions, no Flask."""
import base64
import binascii
import codecs
import email
import email.message
import email.policy
import hashlib
import html
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import getaddresses, parsedate_to_datetime

import html2text
import nh3
from mailparser_reply import EmailMessage as ReplyText

DESK_MARKER = "##- Reply above this line -##"
NO_SUBJECT = "(no subject)"
MAX_SUBJECT = 250
MAX_TICKET_NUMBER = 2**53

# mailparser_reply knows no Portuguese. Swedish, Polish and Danish stay out because their rules cut ordinary text:
# a line starting "/var/log", "Data:", "Do:" or "Take a look" would end the new text there, and the rest is lost.
REPLY_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "cs")

# mailparser_reply's patterns take time quadratic in the length of a line or of a run of blank lines, and only the
# top of a mail matters to them: they get blank lines squeezed to one, then the first _SCAN_CHARS characters with
# each line longer than _SCAN_LINE swapped for a placeholder.
_SCAN_CHARS = 32_000
_SCAN_LINE = 500

# policy.default's header classes take time and memory that grow faster than a value's length: longer values are
# read from their raw text instead. compat32's parameter parsing is quadratic too, so a part's Content-Type and
# Content-Disposition are cut to _MAX_MIME_HEADER characters; no real one comes near that.
_MAX_PARSED_HEADER = 16_000
_MAX_MIME_HEADER = 4_000

# Mail software labels Windows-1252 text as Latin-1 (browsers read it so too), and UTF-8 text as ASCII.
_READ_AS = {"iso8859-1": "cp1252", "ascii": "utf-8"}

_MESSAGE_TYPES = ("message/rfc822", "message/global")
_BULK_PRECEDENCE = ("bulk", "list", "junk", "auto_reply")
_SYSTEM_SENDERS = ("mailer-daemon", "postmaster")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FILENAME_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FOREIGN_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([!->@-~]*)\?=(?:[ \t\r\n]+(?==\?[^?\s]+\?[bBqQ]\?))?")
_ADDRESS = re.compile(r"[^\s\x00-\x1f\x7f@<>()\[\]\\,;:\"]+@[^\s\x00-\x1f\x7f@<>()\[\]\\,;:\"]+")
_BRACKETED_ID = re.compile(r"<\s*([^<>\s]+)\s*>")
_BARE_ID = re.compile(r"(?<!\S)[^\s<>()\"]+@[^\s<>()\"]+(?!\S)")
_NULL_PATH = re.compile(r"\s*<\s*>\s*")
_TICKET_TAG = re.compile(r"\[#([0-9]+)\]")
_BLANK_LINES = re.compile(r"\n(?:[^\S\n]*\n)+")
# An instance holds only Python's built-in table, so a guessed extension does not depend on the host's mime.types.
_MIME_TYPES = mimetypes.MimeTypes()


class UnreadableMail(Exception):
    """The message cannot be used; .reason says why in one sentence a person understands."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass
class MailPart:
    """One attachment: a decoded, safe file name, its lower-case content type and its bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    """What the inbound service needs from one message."""

    message_id: str
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    delivered_to: list[str]
    subject: str
    in_reply_to: list[str]
    references: list[str]
    auto_reason: str | None
    body: str
    full_text: str
    attachments: list[MailPart]
    date: datetime | None


def parse(raw, max_bytes=None):
    """One raw RFC 5322 message as ParsedMail. :raises UnreadableMail: when it cannot be used."""
    message = _read(raw, max_bytes)
    try:
        return _parsed(message, bytes(raw))
    except Exception as error:  # the stdlib's MIME code still crashes on some malformed mail: callers rely on one type
        raise UnreadableMail("The message is malformed and could not be read.") from error


def find_ticket_number(subject):
    """The ticket number of the first "[#42]" tag in a subject, or None."""
    match = _TICKET_TAG.search(subject)
    if match is None or len(match.group(1)) > len(str(MAX_TICKET_NUMBER)):
        return None
    number = int(match.group(1))
    return number if 0 < number <= MAX_TICKET_NUMBER else None


# ------------------------------------------------------------------------------------------------------ the message


def _read(raw, max_bytes):
    """The parsed message, once the checks that need no parsing have passed."""
    if not isinstance(raw, (bytes, bytearray)):
        raise UnreadableMail("The message was not given as raw bytes.")
    if max_bytes is not None and len(raw) > max_bytes:
        raise UnreadableMail(f"The message is larger than {max_bytes / 2**20:g} MB.")
    if not raw or raw.isspace():
        raise UnreadableMail("The message is empty.")
    try:
        # compat32, not policy.default: the parser reads every part's Content-Type through the policy, and
        # policy.default's header classes made a 3 MB mail of 200 parts with long Content-Type headers take 100 s.
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as error:  # e.g. a RecursionError on absurdly nested multiparts
        raise UnreadableMail("The message is malformed and could not be read.") from error
    if not message.keys():
        raise UnreadableMail("The message has no mail headers, so it is not an e-mail.")
    return message


def _parsed(message, raw):
    """Every field of ParsedMail read from a parsed message."""
    leaves = _leaves(message)
    body = _body_leaf(leaves)
    text = _tidy(_leaf_text(body)) if body is not None else ""
    from_name, from_address = (_mailboxes(message, "from") or [("", "")])[0]
    return ParsedMail(
        message_id=_message_id(message, raw),
        from_address=from_address,
        from_name=from_name,
        to=[address for _, address in _mailboxes(message, "to")],
        cc=[address for _, address in _mailboxes(message, "cc")],
        delivered_to=[address for _, address in _mailboxes(message, "delivered-to", "x-original-to", "envelope-to")],
        subject=_subject(message),
        in_reply_to=_message_ids(message, "in-reply-to"),
        references=_message_ids(message, "references"),
        auto_reason=_auto_reason(message),
        body=_new_text(text),
        full_text=text,
        attachments=[_attachment(leaf) for leaf in leaves if leaf is not body and _is_attachment(leaf)],
        date=_date(message),
    )


# ------------------------------------------------------------------------------------------------------------ headers


def _header_values(message, name):
    """The text of every `name` header: unfolded, with non-ASCII bytes read as UTF-8."""
    return ["".join(_clean(value).split("\n")) for key, value in message.raw_items() if key.lower() == name]


def _parsed_header(name, value):
    """A header value as policy.default's header class reads it, or None when it is too long or that class fails."""
    if len(value) > _MAX_PARSED_HEADER:
        return None
    try:
        return email.policy.default.header_factory(name, value)
    except Exception:  # policy.default's header parser raises on some malformed values (e.g. a Message-ID "<>")
        return None


def _mailboxes(message, *names):
    """(display name or else local part, lower-cased address) of each usable mailbox in the named headers, once."""
    found = {}
    for name in names:
        for value in _header_values(message, name):
            for display_name, written in _address_pairs(name, value):
                address = _clean(written).lower()
                if len(address) <= 254 and _ADDRESS.fullmatch(address) and address not in found:
                    found[address] = _one_line(display_name) or _clean(written).partition("@")[0]
    return [(display_name, address) for address, display_name in found.items()]


def _address_pairs(name, value):
    """(display name, address) pairs of one header value, by policy.default where it can, else by getaddresses."""
    parsed = _parsed_header(name, value)
    if parsed is not None and hasattr(parsed, "addresses"):
        return [(address.display_name, address.addr_spec) for address in parsed.addresses]
    return [(_decode_words(display_name), address) for display_name, address in _getaddresses([value])]


def _getaddresses(values):
    """email.utils.getaddresses, with no addresses where deeply nested comments exhaust its recursion."""
    try:
        return getaddresses(values)
    except RecursionError:
        return []


def _subject(message):
    """The decoded subject on one line, cut to MAX_SUBJECT characters."""
    values = _header_values(message, "subject")
    if not values:
        return NO_SUBJECT
    parsed = _parsed_header("subject", values[0])
    subject = _one_line(str(parsed) if parsed is not None else _decode_words(values[0]))
    return subject[:MAX_SUBJECT].rstrip() or NO_SUBJECT


def _message_id(message, raw):
    """The first id of the Message-ID header, or one made from the bytes so a re-delivered copy gets the same."""
    values = _header_values(message, "message-id")
    ids = _ids_in(values[0]) if values else []
    return ids[0] if ids else f"sha256-{hashlib.sha256(raw).hexdigest()}@missing-message-id.invalid"


def _message_ids(message, name):
    """The message ids in every `name` header, in order and without repeats."""
    return list(dict.fromkeys(found for value in _header_values(message, name) for found in _ids_in(value)))


def _ids_in(value):
    """The <...> ids in a header value, or bare ones with an @ where a client left out the brackets."""
    return _BRACKETED_ID.findall(value) or _BARE_ID.findall(value)


def _date(message):
    """The Date header as naive UTC, or None when it is missing or unreadable."""
    values = _header_values(message, "date")
    if not values:
        return None
    try:
        moment = parsedate_to_datetime(values[0])
        return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
    except (TypeError, ValueError, OverflowError):
        return None


def _auto_reason(message):
    """Why the mail was sent by a machine (an auto-reply, list mail or bounce), or None when a person sent it."""
    for value in _header_values(message, "auto-submitted"):
        if _token(value) != "no":
            return f"Auto-Submitted: {_token(value) or '(empty)'}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if name in message:
            return f"{name} header"
    for value in _header_values(message, "precedence"):
        if _token(value) in _BULK_PRECEDENCE:
            return f"Precedence: {_token(value)}"
    for name in ("from", "sender", "return-path"):
        for local_part in _local_parts(message, name):
            if local_part in _SYSTEM_SENDERS:
                return f"sender is {local_part}"
    if message.get_content_type() == "multipart/report":
        return "a delivery report (multipart/report)"
    if any(_NULL_PATH.fullmatch(value) for value in _header_values(message, "return-path")):
        return "empty Return-Path (a bounce)"
    return None


def _token(value):
    """The first word of a header value before any parameters, lower-cased."""
    words = value.partition(";")[0].split()
    return words[0].lower()[:40] if words else ""


def _local_parts(message, name):
    """The lower-cased local parts of the addresses in every `name` header, domain or not."""
    pairs = _getaddresses(_header_values(message, name))
    return [address.partition("@")[0].strip().lower() for _, address in pairs if address]


# -------------------------------------------------------------------------------------------------------------- parts


@dataclass
class _Leaf:
    """A part that holds content, with its MIME headers read once."""

    part: email.message.Message
    kind: str
    disposition: str
    filename: str
    charset: str


def _leaves(message):
    """The parts that hold content, in order: multiparts are opened, attached messages are not."""
    leaves, stack = [], [message]
    while stack:
        part = stack.pop()
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            stack.extend(reversed(part.get_payload()))
        else:
            leaves.append(_leaf(part))
    return leaves


def _leaf(part):
    """One content part described; non-ASCII bytes in its MIME headers are read as UTF-8."""
    view = email.message.Message()
    view.set_default_type(part.get_default_type())
    for name in ("content-type", "content-disposition"):
        values = _header_values(part, name)
        if values:
            view[name] = values[0][:_MAX_MIME_HEADER]
    kind = view.get_content_type()
    return _Leaf(
        part=part,
        kind="text/plain" if kind.startswith("multipart/") else kind,  # a multipart that lost its boundary
        disposition=view.get_content_disposition() or "",
        filename=_decode_words(_param(view, "filename", "content-disposition") or _param(view, "name", "content-type")),
        charset=_param(view, "charset", "content-type"),
    )


def _param(view, name, header):
    """One MIME parameter as text, an RFC 2231 value decoded in its charset ("" when there is none)."""
    value = view.get_param(name, None, header)
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text with one character per byte)
        return _decode_text(value[2].encode("latin-1", "replace"), value[0])
    return value or ""


def _body_leaf(leaves):
    """The part the text comes from: the first plain-text one, else the first HTML one, else None."""
    candidates = [leaf for leaf in leaves if leaf.disposition != "attachment" and not leaf.filename]
    for kind in ("text/plain", "text/html"):
        for leaf in candidates:
            if leaf.kind == kind:
                return leaf
    return None


def _is_attachment(leaf):
    """Whether a part other than the body is a file to keep."""
    return leaf.disposition == "attachment" or bool(leaf.filename) or leaf.kind in _MESSAGE_TYPES


def _attachment(leaf):
    """One part as a MailPart."""
    return MailPart(_filename(leaf), leaf.kind, _payload(leaf.part))


def _payload(part):
    """The decoded bytes of a part; an attached message as the bytes of that message."""
    if part.is_multipart():  # a message/* part: its payload is the parsed message
        return b"".join(inner.as_bytes() for inner in part.get_payload())
    return part.get_payload(decode=True) or b""


def _filename(leaf):
    """A safe, never empty file name; an attached message always ends in .eml."""
    name = _safe_filename(leaf.filename)
    if leaf.kind in _MESSAGE_TYPES:
        return name if name.lower().endswith(".eml") else (name or "attachment") + ".eml"
    return name or "attachment" + (_MIME_TYPES.guess_extension(leaf.kind) or "")


def _safe_filename(name):
    """A file name without control characters, folders or surrounding dots and spaces."""
    name = re.split(r"[/\\]", _FILENAME_CONTROL.sub("", _clean(name)))[-1]
    return " ".join(name.split()).strip(". ")


# --------------------------------------------------------------------------------------------------------------- text


def _leaf_text(leaf):
    """The text of the body part, HTML converted to plain text."""
    text = _decode_text(_payload(leaf.part), leaf.charset)
    return _html_to_text(text) if leaf.kind == "text/html" else text


def _decode_text(data, charset):
    """Bytes as text in their declared charset, or as UTF-8 when that is unknown or wrong; never an exception."""
    declared = _codec_name(charset)
    for name, errors in ((declared, "strict"), ("utf-8", "strict"), (declared, "replace")):
        if name:
            try:
                return data.decode(name, errors)
            except (LookupError, ValueError):  # not a text codec, or bytes it cannot read
                continue
    return data.decode("utf-8", "replace")


def _codec_name(charset):
    """Python's codec for a MIME charset label, or None."""
    try:
        name = codecs.lookup(charset).name
    except (LookupError, TypeError, ValueError):
        return None
    return _READ_AS.get(name, name)


def _html_to_text(markup):
    """HTML as Markdown-flavoured text: links kept, images as their alt text, no tags, scripts or styles."""
    converter = html2text.HTML2Text(bodywidth=0)
    converter.images_to_alt = True
    converter.unicode_snob = True
    try:
        return converter.handle(markup)
    except Exception:  # html2text crashes on some hostile HTML (e.g. a 5000-digit &#...;): keep at least the words
        return html.unescape(nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "title"}))


def _tidy(text):
    """Text with \\n line endings, no control characters, no trailing whitespace and no blank lines around it."""
    text = _clean(text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _clean(value):
    """Text without lone surrogates (undecodable bytes are read as UTF-8) or control characters other than \\t \\n."""
    if _ESCAPED_BYTE.search(value) or _FOREIGN_SURROGATE.search(value):
        raw = _FOREIGN_SURROGATE.sub("\ufffd", value).encode("utf-8", "surrogateescape")
        value = raw.decode("utf-8", "replace")
    return _CONTROL.sub("", value)


def _one_line(value):
    """Text with every run of whitespace, line breaks included, as one space."""
    return " ".join(_clean(value).split())


def _decode_words(value):
    """RFC 2047 encoded-words decoded; a word that cannot be decoded stays as it was."""
    return _ENCODED_WORD.sub(_decoded_word, value)


def _decoded_word(match):
    """The text of one encoded-word match."""
    charset, encoding, encoded = match.group(1).partition("*")[0], match.group(2).lower(), match.group(3)
    try:
        if encoding == "q":
            data = binascii.a2b_qp(encoded.encode("ascii"), header=True)
        else:
            data = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return match.group(0)
    return _decode_text(data, charset)


# ----------------------------------------------------------------------------------------------------------- the body


def _new_text(text):
    """What this mail adds: the text above the desk's marker without quoted history or signature, else all of it."""
    return _strip_history(_above_marker(text)).strip() or text


def _above_marker(text):
    """The text before the line that holds the desk's marker."""
    at = text.find(DESK_MARKER)
    return text if at < 0 else text[: text.rfind("\n", 0, at) + 1]


def _strip_history(text):
    """The new text at the top of a reply, without quoted history and signature ("" when it is all history)."""
    text = _BLANK_LINES.sub("\n\n", text)
    head, tail = _split_top(text)
    masked, hidden = _masked(head)
    reply = ReplyText(text=masked, languages=list(REPLY_LANGUAGES), keep_hyphen_lists=True).read()
    first = reply.replies[0]
    if first.headers:  # the mail opens with a quote header: nothing new above it
        return ""
    if tail and len(reply.replies) == 1:  # no quote header in the part that was read: keep the whole long mail
        return text
    return "\n".join(hidden.get(line, line) for line in first.body.split("\n"))


def _split_top(text):
    """The first _SCAN_CHARS characters of a text (cut at a line end where there is one) and the rest."""
    if len(text) <= _SCAN_CHARS:
        return text, ""
    cut = text.rfind("\n", 0, _SCAN_CHARS)
    cut = cut if cut > 0 else _SCAN_CHARS
    return text[:cut], text[cut:]


def _masked(text):
    """The text with every line over _SCAN_LINE characters swapped for a placeholder, and the lines they stand for."""
    lines, hidden = [], {}
    for line in text.split("\n"):
        if len(line) > _SCAN_LINE:
            placeholder = f"\x00{len(hidden)}\x00"
            hidden[placeholder] = line.strip()
            line = placeholder
        lines.append(line)
    return "\n".join(lines), hidden
