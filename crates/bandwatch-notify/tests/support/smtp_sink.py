"""An aiosmtpd handler for the SMTP sender tests: stores every message as one JSON file.

Run as: PYTHONPATH=tests/support python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink DIR

Each file holds the envelope (mail_from, rcpt_tos), the decoded headers and every leaf MIME part
decoded by Python's own email parser (non-text parts as base64 with their Content-ID), so the Rust test checks what a real mail reader would see.
The file is written under a temporary name and renamed, so a reader never sees half of it.
"""

import base64
import email
import email.policy
import itertools
import json
import os

_counter = itertools.count(1)


def _part(part):
    """A leaf part: text decoded as text, anything else (an inline chart) as base64."""
    doc = {"content_type": part.get_content_type()}
    if part.get_content_maintype() == "text":
        doc["body"] = part.get_content()
    else:
        doc["base64"] = base64.b64encode(part.get_payload(decode=True)).decode("ascii")
        doc["content_id"] = str(part["Content-ID"] or "")
        doc["disposition"] = part.get_content_disposition()
    return doc


class Sink:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.Sink takes one argument: the directory to store messages in")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        parts = [_part(part) for part in msg.walk() if not part.is_multipart()]
        doc = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "content_type": msg.get_content_type(),
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "parts": parts,
        }
        name = "%06d-%d.json" % (next(_counter), os.getpid())
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 Message accepted for delivery"
