"""Parsing inbound mail: headers and charsets, the new text of a reply, attachments, loop guards and hostile input."""
import base64
import email
import random
import time
from datetime import datetime
from email.message import EmailMessage

import pytest

from portal.mail.parse import MailPart, ParsedMail, UnreadableMail, find_ticket_number, parse

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def raw_mail(body=b"Hello, the printer is broken.\r\n", **headers):
    """A raw message: default From, To, Subject and Message-ID, overridden (or dropped with None) by keyword."""
    fields = {
        "From": "Jane Doe <jane@example.com>",
        "To": "support@desk.example",
        "Subject": "Printer",
        "Message-ID": "<m1@example.com>",
        **{name.replace("_", "-"): value for name, value in headers.items()},
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items() if value is not None)
    return head.encode() + b"\r\n" + body


def message(text="Hello, the printer is broken.", **headers):
    """An EmailMessage with a plain-text body and the default headers of raw_mail."""
    mail = EmailMessage()
    for name, value in {"From": "Jane Doe <jane@example.com>", "To": "support@desk.example", "Subject": "Printer",
                        "Message-ID": "<m1@example.com>", **headers}.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(text)
    return mail


# ------------------------------------------------------------------------------------------------ headers and text


def test_plain_mail():
    parsed = parse(raw_mail(Cc="Bob <BOB@Example.com>, carol@example.com", Date="Mon, 01 Jan 2024 10:00:00 +0200",
                            Delivered_To="support+t7@desk.example", X_Original_To="Support@Desk.example",
                            Envelope_To="help@desk.example"))
    assert isinstance(parsed, ParsedMail)
    assert parsed.message_id == "m1@example.com"
    assert parsed.from_address == "jane@example.com"
    assert parsed.from_name == "Jane Doe"
    assert parsed.to == ["support@desk.example"]
    assert parsed.cc == ["bob@example.com", "carol@example.com"]
    assert parsed.delivered_to == ["support+t7@desk.example", "support@desk.example", "help@desk.example"]
    assert parsed.subject == "Printer"
    assert parsed.body == parsed.full_text == "Hello, the printer is broken."
    assert parsed.attachments == []
    assert parsed.auto_reason is None
    assert parsed.date == datetime(2024, 1, 1, 8, 0)  # naive UTC


def test_from_without_display_name_uses_the_local_part():
    parsed = parse(raw_mail(From="<Jane.Doe@Example.com>"))
    assert (parsed.from_address, parsed.from_name) == ("jane.doe@example.com", "Jane.Doe")


def test_missing_from_gives_empty_address():
    parsed = parse(raw_mail(From=None))
    assert (parsed.from_address, parsed.from_name) == ("", "")


def test_from_with_rfc2047_display_name():
    parsed = parse(raw_mail(From="=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>"))
    assert parsed.from_name == "Jürgen Müller"
    assert parsed.from_address == "jm@example.de"


def test_rfc2047_subject_in_iso_8859_1_q_and_b():
    assert parse(raw_mail(Subject="=?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=")).subject == "Grüße aus Köln"
    assert parse(raw_mail(Subject="=?iso-8859-1?B?R3L832UgYXVzIEv2bG4=?=")).subject == "Grüße aus Köln"


def test_subject_is_one_line_at_most_250_characters_never_empty():
    assert parse(raw_mail(Subject="Printer\r\n   on floor\t3")).subject == "Printer on floor 3"
    assert parse(raw_mail(Subject="x" * 300)).subject == "x" * 250
    assert parse(raw_mail(Subject="   ")).subject == "(no subject)"
    assert parse(raw_mail(Subject=None)).subject == "(no subject)"


def test_iso_8859_1_body_in_quoted_printable():
    raw = raw_mail(b"Gr=FC=DFe aus K=F6ln, der Drucker ist kaputt.=\r\n Bitte helfen.\r\n",
                   Content_Type="text/plain; charset=ISO-8859-1", Content_Transfer_Encoding="quoted-printable")
    assert parse(raw).body == "Grüße aus Köln, der Drucker ist kaputt. Bitte helfen."


def test_windows_1252_characters_labelled_latin_1():
    raw = raw_mail(b"\x93Quoted\x94 \x80 5\r\n", Content_Type="text/plain; charset=iso-8859-1")
    assert parse(raw).body == "“Quoted” € 5"


def test_utf8_body_in_base64():
    text = "Привет, 你好, Grüße 👋"
    raw = raw_mail(base64.encodebytes(text.encode()), Content_Type='text/plain; charset="utf-8"',
                   Content_Transfer_Encoding="base64")
    assert parse(raw).body == text


@pytest.mark.parametrize("charset", ["x-unknown", "base64", "us-ascii", "utf-8", "\x00"])
def test_unknown_or_lying_charset_falls_back_to_utf8(charset):
    raw = raw_mail("Café ünïcode".encode() + b" \xff\r\n", Content_Type=f'text/plain; charset="{charset}"')
    assert parse(raw).body == "Café ünïcode \ufffd"


def test_line_endings_trailing_whitespace_and_control_characters_are_normalised():
    raw = raw_mail(b"\r\n\r\nfirst  \r\nsecond\t\rthird\x00\x1b[0m\r\n\r\n")
    assert parse(raw).full_text == "first\nsecond\nthird[0m"


def test_missing_message_id_gives_a_stable_synthetic_id():
    raw = raw_mail(Message_ID=None)
    first, again = parse(raw).message_id, parse(raw).message_id
    other = parse(raw_mail(b"Another text.\r\n", Message_ID=None)).message_id
    assert first == again
    assert first.startswith("sha256-") and first.endswith("@missing-message-id.invalid")
    assert other != first
    assert parse(raw_mail(Message_ID="")).message_id.endswith("@missing-message-id.invalid")


def test_message_id_without_brackets_is_kept():
    assert parse(raw_mail(Message_ID="  abc.123@mail.example  ")).message_id == "abc.123@mail.example"


def test_in_reply_to_and_references():
    parsed = parse(raw_mail(In_Reply_To="<p2@desk.example> (Jane's message of Monday)",
                            References="<p0@desk.example>\r\n <p1@desk.example>  <p2@desk.example> junk"))
    assert parsed.in_reply_to == ["p2@desk.example"]
    assert parsed.references == ["p0@desk.example", "p1@desk.example", "p2@desk.example"]
    assert parse(raw_mail(In_Reply_To="p9@desk.example")).in_reply_to == ["p9@desk.example"]
    assert parse(raw_mail()).references == []


def test_unreadable_date_is_none():
    assert parse(raw_mail(Date="yesterday at noon")).date is None
    assert parse(raw_mail(Date="Fri, 31 Dec 9999 23:30:00 -0100")).date is None  # past datetime.max in UTC
    assert parse(raw_mail(Date="Tue, 2 Jan 2024 09:15:00 -0000")).date == datetime(2024, 1, 2, 9, 15)


# --------------------------------------------------------------------------------------------------- HTML and parts


def test_html_only_mail_becomes_text_without_tags_scripts_or_styles():
    mail = message()
    mail.set_content(
        "<html><head><title>Newsletter</title><style>p { color: red }</style></head><body>"
        "<script>alert('stolen')</script><p>Hello <b>team</b>, see <a href='https://example.com/doc'>the docs</a>."
        "</p><img src='cid:logo' alt='Company logo'><img src='cid:pixel'></body></html>",
        subtype="html",
    )
    parsed = parse(mail.as_bytes())
    assert "[the docs](https://example.com/doc)" in parsed.body
    assert "Company logo" in parsed.body
    assert "Hello" in parsed.body and "team" in parsed.body
    for leftover in ("<", "alert", "stolen", "color", "Newsletter", "cid:"):
        assert leftover not in parsed.full_text


def test_html_that_crashes_html2text_still_gives_its_words():
    mail = message()
    mail.set_content("<p>Order &#" + "9" * 5000 + "; arrived <b>broken</b></p><script>evil()</script>", subtype="html")
    body = parse(mail.as_bytes()).body
    assert "Order" in body and "arrived broken" in body
    assert "evil" not in body and "<" not in body


def test_multipart_alternative_prefers_the_text_part():
    mail = message("Plain words.")
    mail.add_alternative("<p>HTML words.</p>", subtype="html")
    parsed = parse(mail.as_bytes())
    assert parsed.body == "Plain words."
    assert parsed.attachments == []


def test_png_and_pdf_attachments_one_with_an_rfc2231_name():
    mail = message("See the files.")
    mail.add_attachment(PNG, maintype="image", subtype="png", filename="screenshot.png")
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="Rechnung März – 2024.pdf")
    raw = mail.as_bytes()
    assert b"filename*=utf-8''Rechnung%20M%C3%A4rz" in raw  # the name really is RFC 2231 encoded
    parsed = parse(raw)
    assert parsed.body == "See the files."
    assert parsed.attachments == [
        MailPart("screenshot.png", "image/png", PNG),
        MailPart("Rechnung März – 2024.pdf", "application/pdf", PDF),
    ]


def test_attachment_names_in_rfc2047_and_raw_utf8_and_none_at_all():
    raw = b"\r\n".join([
        b"From: jane@example.com", b'Content-Type: multipart/mixed; boundary="b"', b"", b"--b",
        b"Content-Type: text/plain", b"", b"Files.", b"--b",
        b'Content-Type: application/pdf; name="=?utf-8?b?w6TDtsO8LnBkZg==?="', b"Content-Disposition: attachment",
        b"", b"one", b"--b",
        b'Content-Type: application/pdf; name="\xc3\xbcber.pdf"', b"", b"two", b"--b",
        b"Content-Type: image/jpeg", b"Content-Disposition: attachment", b"", b"three", b"--b",
        b"Content-Type: application/x-unheard-of", b"Content-Disposition: attachment", b"", b"four", b"--b--", b"",
    ])
    names = [part.filename for part in parse(raw).attachments]
    assert names == ["äöü.pdf", "über.pdf", "attachment.jpg", "attachment"]


def test_attachment_filename_is_cleaned_of_folders_and_control_characters():
    mail = message("A file.")
    mail.add_attachment(PNG, maintype="image", subtype="png", filename="../../etc/\x01pass\x7fwd\t.png")
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="C:\\Users\\jane\\..\\report.pdf")
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="../..")
    assert [part.filename for part in parse(mail.as_bytes()).attachments] == ["passwd.png", "report.pdf",
                                                                               "attachment.pdf"]


def test_inline_image_with_a_name_is_an_attachment():
    mail = message("Look:")
    mail.add_related(PNG, maintype="image", subtype="png", cid="<logo@x>", filename="logo.png", disposition="inline")
    assert parse(mail.as_bytes()).attachments == [MailPart("logo.png", "image/png", PNG)]


def test_attached_message_becomes_an_eml_file():
    inner = message("The original complaint.", Subject="Original")
    mail = message("Forwarding this.")
    mail.add_attachment(inner)
    parsed = parse(mail.as_bytes())
    assert parsed.body == "Forwarding this."
    [part] = parsed.attachments
    assert (part.filename, part.content_type) == ("attachment.eml", "message/rfc822")
    assert email.message_from_bytes(part.data)["Subject"] == "Original"
    assert b"The original complaint." in part.data


def test_multipart_without_boundary_is_read_as_text():
    raw = raw_mail(b"Just words.\r\n", Content_Type="multipart/mixed")
    assert parse(raw).body == "Just words."


# ---------------------------------------------------------------------------------------------------- the new text


def test_quoted_history_of_a_reply_is_stripped():
    text = ("Thanks, it works now.\n\n"
            "On Mon, Jan 1, 2024 at 10:00 AM Support <support@desk.example> wrote:\n"
            "> Please restart the printer.\n> \n> Kind regards\n")
    parsed = parse(message(text).as_bytes())
    assert parsed.body == "Thanks, it works now."
    assert "> Please restart the printer." in parsed.full_text


def test_quoted_history_in_german_and_outlook_style_is_stripped():
    german = "Danke!\n\nAm 01.01.2024 um 10:00 schrieb Support <support@desk.example>:\n> Bitte neu starten.\n"
    outlook = ("Fixed.\n\n________________________________\nFrom: Support <support@desk.example>\n"
               "Sent: Monday, January 1, 2024 10:00 AM\nTo: Jane\nSubject: Printer\n\nPlease restart it.\n")
    assert parse(message(german).as_bytes()).body == "Danke!"
    assert parse(message(outlook).as_bytes()).body == "Fixed."


def test_signature_is_stripped():
    assert parse(message("The scanner jams too.\n\n-- \nJane\nACME Corp, room 12\n").as_bytes()).body == (
        "The scanner jams too.")


def test_lists_paths_and_data_lines_are_not_taken_for_signatures_or_headers():
    text = "Steps:\n- open the tray\n- restart\n/var/log/printer.log says E5\nData: 42 pages\nDo: nothing else"
    assert parse(message(text).as_bytes()).body == text


def test_desk_marker_cuts_everything_below():
    text = ("New details: it's the second floor.\n\n"
            "> ##- Reply above this line -##\n> Ticket #42 was answered.\n> Agent wrote: restart it\n")
    assert parse(message(text).as_bytes()).body == "New details: it's the second floor."


def test_mail_that_is_all_quote_keeps_its_full_text():
    text = "On Mon, Jan 1, 2024 at 10:00 AM Support <support@desk.example> wrote:\n> Is it fixed?\n\nYes it is."
    parsed = parse(message(text).as_bytes())
    assert parsed.body == parsed.full_text == text
    assert parse(message("##- Reply above this line -##\nbottom-posted answer").as_bytes()).body == (
        "##- Reply above this line -##\nbottom-posted answer")


def test_pathological_lines_do_not_make_reply_stripping_slow():
    # Handed over as they are, the blank lines take mailparser_reply ~30 s and the long lines ~6 s (quadratic).
    long_line = "On " + "a " * 7_000
    text = "Hello\n" + "\n" * 20_000 + f"{long_line}\n{long_line}\n" + "On Mon, Jan 1, 2024 Support wrote:\n> old\n"
    started = time.perf_counter()
    parsed = parse(message(text).as_bytes())
    assert time.perf_counter() - started < 2
    assert parsed.body == f"Hello\n\n{long_line.strip()}\n{long_line.strip()}"


def test_quote_header_after_a_long_text_is_still_found():
    text = ("A long description. " * 30 + "\n") * 40 + "\nOn Mon, Jan 1, 2024 Support wrote:\n> old\n"
    body = parse(message(text).as_bytes()).body
    assert body.endswith("A long description.") and "old" not in body


# ---------------------------------------------------------------------------------------------------- loop guards


@pytest.mark.parametrize(("headers", "reason"), [
    ({"Auto_Submitted": "auto-replied; owner-email=jane@example.com"}, "Auto-Submitted: auto-replied"),
    ({"Auto_Submitted": "Auto-Generated"}, "Auto-Submitted: auto-generated"),
    ({"X_Autoreply": "yes"}, "X-Autoreply header"),
    ({"X_Autorespond": ""}, "X-Autorespond header"),
    ({"Precedence": "bulk"}, "Precedence: bulk"),
    ({"Precedence": "Auto_Reply"}, "Precedence: auto_reply"),
    ({"From": "Mail Delivery System <MAILER-DAEMON@mx.example.com>"}, "sender is mailer-daemon"),
    ({"Sender": "postmaster@example.com"}, "sender is postmaster"),
    ({"Return_Path": "<MAILER-DAEMON>"}, "sender is mailer-daemon"),
    ({"Return_Path": "<>"}, "empty Return-Path (a bounce)"),
])
def test_auto_replies_and_bounces_are_recognised(headers, reason):
    assert parse(raw_mail(**headers)).auto_reason == reason


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "no"},
    {"Auto_Submitted": "No ; comment"},
    {"Precedence": "first-class"},
    {"X_Auto_Response_Suppress": "All"},  # Outlook sets it on mail people write, too
    {"Return_Path": "<jane@example.com>"},
])
def test_mail_from_a_person_is_not_automatic(headers):
    assert parse(raw_mail(**headers)).auto_reason is None


def test_multipart_report_is_a_bounce():
    raw = raw_mail(
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\n--b--\r\n",
        From="Mail System <system@mx.example.com>",
        Content_Type='multipart/report; report-type=delivery-status; boundary="b"',
    )
    parsed = parse(raw)
    assert parsed.auto_reason == "a delivery report (multipart/report)"
    assert parsed.body == "Delivery failed."


# ------------------------------------------------------------------------------------------------- size and input


def big_mail(megabytes):
    """A mail with a base64 attachment of `megabytes` MB of encoded text, and the attachment's bytes."""
    data = random.Random(7).randbytes(megabytes * 1024 * 1024 * 3 // 4)
    mail = message("Logs attached.")
    mail.add_attachment(data, maintype="application", subtype="octet-stream", filename="dump.bin")
    return mail.as_bytes(), data


def test_mail_over_max_bytes_is_refused_without_parsing(monkeypatch):
    raw, data = big_mail(20)
    assert 20 * 2**20 < len(raw) < 22 * 2**20

    started = time.perf_counter()
    parsed = parse(raw, max_bytes=30 * 2**20)
    assert time.perf_counter() - started < 10  # linear work: well under a second on a laptop
    assert parsed.attachments == [MailPart("dump.bin", "application/octet-stream", data)]
    assert parsed.body == "Logs attached."

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed a message that is over the limit")

    monkeypatch.setattr(email, "message_from_bytes", no_parsing)
    with pytest.raises(UnreadableMail) as refused:
        parse(raw, max_bytes=20 * 2**20)
    assert refused.value.reason == "The message is larger than 20 MB."


def test_many_parts_with_huge_mime_headers_stay_fast():
    parts = b"".join(b"--b\r\nContent-Type: image/png; " + b"a=b; " * 3000 + b"\r\n"
                     b"Content-Disposition: attachment; filename=p%d.png\r\n\r\nxx\r\n" % i for i in range(300))
    raw = raw_mail(parts + b"--b--\r\n", Content_Type='multipart/mixed; boundary="b"')
    started = time.perf_counter()
    parsed = parse(raw)
    assert time.perf_counter() - started < 10  # policy.default's header classes took minutes over this
    assert [part.filename for part in parsed.attachments[:2]] == ["p0.png", "p1.png"]
    assert len(parsed.attachments) == 300


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "The message is empty."),
    (b" \r\n\t", "The message is empty."),
    (b"\x00\xff\xfe\x80garbage\x00" * 50, "The message has no mail headers, so it is not an e-mail."),
    (b"just a line of text\nand another\n", "The message has no mail headers, so it is not an e-mail."),
    ("From: jane@example.com\n\nhi", "The message was not given as raw bytes."),
    (None, "The message was not given as raw bytes."),
])
def test_unreadable_input(raw, reason):
    with pytest.raises(UnreadableMail) as refused:
        parse(raw)
    assert refused.value.reason == reason


def test_headers_that_break_policy_default_are_still_read():
    # policy.default raises IndexError on a Message-ID "<>" and on an address list with a stray quote.
    parsed = parse(raw_mail(Message_ID="<>", To='ops@example.com, "', From='Jane <jane@example.com>, "'))
    assert parsed.message_id.endswith("@missing-message-id.invalid")
    assert parsed.to == ["ops@example.com"]
    assert (parsed.from_address, parsed.from_name) == ("jane@example.com", "Jane")


def test_garbage_headers_give_empty_fields_not_errors():
    parsed = parse(raw_mail(Message_ID="garbage <<< @@", To="<<<>>>@@@, \x01, (((, ;;;", From='"', Cc="(" * 5000))
    assert parsed.message_id.endswith("@missing-message-id.invalid")
    assert (parsed.to, parsed.cc, parsed.from_address) == ([], [], "")


def test_raw_utf8_and_stray_8bit_bytes_in_headers():
    raw = (b"From: J\xc3\xbcrgen <j\xc3\xbcrgen@example.de>\r\nTo: support@desk.example\r\n"
           b"Subject: Caf\xc3\xa9 \xff kaputt\r\nMessage-ID: <\xc3\xa4@x>\r\n\r\nHallo\r\n")
    parsed = parse(raw)
    assert (parsed.from_name, parsed.from_address) == ("Jürgen", "jürgen@example.de")
    assert parsed.subject == "Café \ufffd kaputt"
    assert parsed.message_id == "ä@x"


def test_mangled_mail_parses_or_is_unreadable_never_another_error():
    mail = message("Hello\n\nOn Mon, Jan 1, 2024 Support wrote:\n> old", Subject="=?utf-8?q?Gr=C3=BC=C3=9Fe?= [#7]",
                   Cc="Bob <bob@example.com>")
    mail.add_alternative("<p>Hello <a href='https://x.example'>x</a></p>", subtype="html")
    mail.add_attachment(PNG, maintype="image", subtype="png", filename="ä.png")
    seed = mail.as_bytes()
    tokens = [b"=?", b"?=", b"?q?", b"<>", b"\xff", b"\xc3", b"\x00", b";", b'"', b"*=", b"''", b"%", b"\n", b"\n ",
              b"(", b"\\", b":", b",", b"@", b"*0*=", b"charset=", b"boundary=", b"message/rfc822", b"&#"]
    rng = random.Random(1)
    parsed_count, reasons = 0, set()
    for _ in range(300):
        raw = bytearray(seed)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(raw))
            raw[at:at + rng.randint(0, 3)] = rng.choice(tokens)
        try:
            parsed = parse(bytes(raw))
        except UnreadableMail as refused:
            reasons.add(refused.reason)
            continue
        parsed_count += 1
        texts = (parsed.subject, parsed.body, parsed.from_name, *parsed.to, *(a.filename for a in parsed.attachments))
        for text in texts:
            text.encode("utf-8")  # no lone surrogates: every string can be stored
    assert parsed_count > 250
    # Only a first line too broken to be a header makes a mangled mail unreadable; no crash was caught on the way.
    assert reasons <= {"The message has no mail headers, so it is not an e-mail."}


# ---------------------------------------------------------------------------------------------------- ticket tags


@pytest.mark.parametrize(("subject", "number"), [
    ("Re: [#42] Printer", 42),
    ("Fwd: Re: [#7] a [#9] b", 7),
    ("[#9007199254740992]", 2**53),
    ("#42 Printer", None),
    ("[#abc] Printer", None),
    ("[# 42]", None),
    ("[#0]", None),
    ("[#99999999999999999999]", None),
    ("[#" + "9" * 5000 + "]", None),
    ("[#٤٢]", None),
    ("", None),
])
def test_find_ticket_number(subject, number):
    assert find_ticket_number(subject) == number
