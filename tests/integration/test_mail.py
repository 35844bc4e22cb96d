"""Mail backends: the outbox (embedded default) and SMTP (against a tiny local SMTP server)."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes


class _SMTPHandler(socketserver.StreamRequestHandler):
    received: list[bytes] = []

    def _send(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self._send("220 test ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode().strip().upper()
            if cmd.startswith(("EHLO", "HELO")):
                self._send("250 test")
            elif cmd == "DATA":
                self._send("354 go ahead")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    data += self.rfile.readline()
                type(self).received.append(data[:-5])
                self._send("250 queued")
            elif cmd == "QUIT":
                self._send("221 bye")
                return
            else:
                self._send("250 ok")


def test_smtp_backend_sends_a_real_message(tmp_path):
    from agensium.service.mail import make_mailer
    from agensium.settings import Settings

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings(var_dir=tmp_path, mail_backend="smtp", smtp_host="127.0.0.1",
                            smtp_port=server.server_address[1], smtp_starttls=False, _env_file=None)
        make_mailer(settings).send("ada@example.com", "Your code", "Use 123456")
    finally:
        server.shutdown()
        server.server_close()
    msg = message_from_bytes(_SMTPHandler.received[-1])
    assert msg["To"] == "ada@example.com" and msg["Subject"] == "Your code"
    assert msg["From"] == settings.mail_from and "Use 123456" in msg.get_payload()
    assert not (tmp_path / "outbox").exists()  # nothing went to the outbox


def test_outbox_backend_writes_files_and_logs_no_address(tmp_path, caplog):
    import logging

    from agensium.service.mail import make_mailer, read_outbox
    from agensium.settings import Settings

    settings = Settings(var_dir=tmp_path, _env_file=None)
    with caplog.at_level(logging.INFO):
        make_mailer(settings).send("grace@example.com", "Your code", "Use 654321")
    assert read_outbox(settings.outbox_dir, "GRACE@example.com")[0]["body"] == "Use 654321"
    assert "outbox" in caplog.text and "grace@example.com" not in caplog.text and "654321" not in caplog.text
