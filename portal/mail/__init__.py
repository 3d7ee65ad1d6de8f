"""E-mail in and out: parsing, composing and the IMAP mailbox."""
