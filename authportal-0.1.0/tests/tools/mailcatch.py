# SPDX-License-Identifier: ISC
"""mailcatch: read what smtp_catcher.py stored, for the Python tests.

read_messages(dir) parses every DIR/*.eml in arrival order into
email.message.EmailMessage objects (policy=email.policy.default), each with
the file name in msg.filename. text_part(msg) is the decoded text/plain
part, find_link(msg) its first token (the URL of API.md §4.0), html_part(msg)
the decoded text/html part, wait_messages(dir, n) waits until at least n
messages are there. Standard library only.
"""

import email
import email.policy
import os
import re
import time

_EML = re.compile(r"^\d+-\d+\.eml$")


def _names(directory):
    try:
        return sorted(n for n in os.listdir(directory) if _EML.match(n))
    except FileNotFoundError:
        return []


def read_messages(directory):
    """Every stored message, oldest first, as EmailMessage objects."""
    out = []
    for name in _names(directory):
        with open(os.path.join(directory, name), "rb") as f:
            msg = email.message_from_binary_file(
                f, policy=email.policy.default)
        msg.filename = name
        out.append(msg)
    return out


def wait_messages(directory, count=1, timeout=5.0):
    """read_messages() once it holds at least count messages; raises
    TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        msgs = read_messages(directory)
        if len(msgs) >= count:
            return msgs
        if time.monotonic() >= deadline:
            raise TimeoutError("%d message(s) in %s after %.1fs, wanted %d"
                               % (len(msgs), directory, timeout, count))
        time.sleep(0.05)


def messages_to(directory, address):
    """The stored messages whose To header is address (case-insensitive)."""
    want = address.lower()
    return [m for m in read_messages(directory)
            if str(m.get("To", "")).strip().lower() == want]


def _part(msg, subtype):
    part = msg.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        raise ValueError("no text/%s part in %s" % (
            subtype, getattr(msg, "filename", "message")))
    return part.get_content()


def text_part(msg):
    """The decoded text/plain part, exactly (no newline is stripped)."""
    return _part(msg, "plain")


def html_part(msg):
    """The decoded text/html part."""
    return _part(msg, "html")


def find_link(msg):
    """The URL of the mail: the first token of the text part."""
    tokens = text_part(msg).split()
    if not tokens:
        raise ValueError("empty text part")
    return tokens[0]
