#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""smtp_catcher: an SMTP server for tests and the dev server that accepts
every message and keeps it as a file. It does not relay, authenticate or
check anything; it listens on loopback only unless told otherwise.

    /usr/bin/python3 tests/tools/smtp_catcher.py --port N --dir DIR [--host H]

Each message is written as DIR/<seq>-<unix ms>.eml (the raw DATA bytes, as
received, CRLF line ends, dot-unstuffed), first under a dot-prefixed temp
name and then renamed, so a reader never sees half a file. <seq> is six
digits and continues after the highest one already in DIR, so names sort
in arrival order. --port 0 picks a free port. Once listening it prints
"smtp catcher listening on HOST:PORT" (the real port) and flushes stdout.
SIGTERM and SIGINT stop it cleanly (exit 0).

Needs Debian's python3-aiosmtpd: run it with /usr/bin/python3.
"""

import argparse
import asyncio
import os
import re
import signal
import sys
import time

from aiosmtpd.smtp import SMTP

SEQ_RE = re.compile(r"^(\d+)-\d+\.eml$")


class Sink:
    """aiosmtpd handler: writes every message to self.dir."""

    def __init__(self, directory):
        self.dir = directory
        self.seq = 0
        for name in os.listdir(directory):
            m = SEQ_RE.match(name)
            if m:
                self.seq = max(self.seq, int(m.group(1)))

    def store(self, data):
        self.seq += 1
        name = "%06d-%d.eml" % (self.seq, int(time.time() * 1000))
        tmp = os.path.join(self.dir, ".%s.tmp" % name)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(self.dir, name))
        return name

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content
        if data is None:
            data = envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        name = self.store(data)
        print("smtp catcher: %s from %s to %s" % (
            name, envelope.mail_from, ",".join(envelope.rcpt_tos)),
            file=sys.stderr, flush=True)
        return "250 OK stored as %s" % name


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir)
    loop = asyncio.get_running_loop()
    # hostname given: aiosmtpd would otherwise look up the FQDN (slow
    # without DNS).
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="smtp-catcher", enable_SMTPUTF8=True,
                     decode_data=False),
        host=args.host, port=args.port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    port = server.sockets[0].getsockname()[1]
    print("smtp catcher listening on %s:%d" % (args.host, port), flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True,
                    help="TCP port, 0 for a free one")
    ap.add_argument("--dir", required=True, help="where .eml files go")
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1)")
    args = ap.parse_args()
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
