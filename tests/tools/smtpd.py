#!/usr/bin/python3
"""A real SMTP server for the email tests: Debian's python3-aiosmtpd on
127.0.0.1, which writes every message it accepts to DIR/NNN.eml (and its
envelope to DIR/NNN.json) and can be told, through files in DIR, to answer
the way a troubled server does:

  DIR/tempfail-data   a number N: answer the next N DATA with 451
  DIR/reject-rcpt     an address: answer RCPT TO it with 550

  smtpd.py --dir DIR --port-file FILE [--starttls CERT KEY]
           [--auth USER:PASSWORD] [--exit-after SECONDS]

With --starttls it offers STARTTLS (and --auth then needs TLS, as
aiosmtpd requires); without it, it offers none.  It stops by itself after
--exit-after seconds (default 300)."""
import argparse
import asyncio
import json
import os
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    """Accept, refuse or delay as the control files say; keep messages."""

    def __init__(self, out):
        self.out = out
        self.n = 0

    def _take(self, name):
        path = os.path.join(self.out, name)
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            return None
        return text

    async def handle_RCPT(self, server, session, envelope, address, opts):
        if self._take("reject-rcpt") == address:
            return "550 5.1.1 <%s>: no such user" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        left = self._take("tempfail-data")
        if left is not None and left.isdigit() and int(left) > 0:
            with open(os.path.join(self.out, "tempfail-data"), "w") as f:
                f.write(str(int(left) - 1))
            return "451 4.3.0 try again later"
        self.n += 1
        base = os.path.join(self.out, "%03d" % self.n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from,
                       "rcpt_tos": envelope.rcpt_tos,
                       "tls": session.ssl is not None,
                       "auth": session.authenticated}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 accepted"


def free_port():
    """A port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--auth")
    ap.add_argument("--exit-after", type=float, default=300)
    a = ap.parse_args()
    kwargs = {}
    if a.starttls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.starttls[0], a.starttls[1])
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = False
    if a.auth:
        user, password = a.auth.split(":", 1)

        def check(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and
                  data.login.decode() == user and
                  data.password.decode() == password)
            return AuthResult(success=ok)
        kwargs["authenticator"] = check
        kwargs["auth_require_tls"] = bool(a.starttls)
    port = free_port()
    c = Controller(Handler(a.dir), hostname="127.0.0.1", port=port,
                   **kwargs)
    c.start()
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(a.port_file + ".tmp", a.port_file)
    stop = threading.Event()
    try:
        stop.wait(a.exit_after)
    except KeyboardInterrupt:
        pass
    c.stop()


if __name__ == "__main__":
    sys.exit(main())
