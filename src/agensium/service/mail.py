"""Outgoing mail: an outbox (log line + file under var/outbox/) in the embedded default, SMTP otherwise.

The outbox is how a local user reads a verification code: the log line names the file, and the
file holds the message. Codes never appear in an HTTP response.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from agensium.settings import Settings

log = logging.getLogger(__name__)


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


class OutboxMailer:
    """Writes each message as JSON to `outbox_dir/<timestamp>-<n>.json` and logs where it went."""

    def __init__(self, outbox_dir: Path) -> None:
        self.dir = outbox_dir
        self._lock = threading.Lock()
        self._n = 0

    def send(self, to: str, subject: str, body: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        with self._lock:
            self._n += 1
            path = self.dir / f"{now.strftime('%Y%m%dT%H%M%S%f')}-{self._n:05d}.json"
        path.write_text(json.dumps({"to": to, "subject": subject, "body": body, "sent_at": now.isoformat()},
                                   ensure_ascii=False, indent=1))
        # the recipient is personal data: log only the file, the subject and the code-free body
        log.info("mail written to outbox: %s (%s)", path, subject)
        print(f"[agensium outbox] {subject} -> {path}", flush=True)


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("SMTP_HOST must be set when AGENSIUM_MAIL_BACKEND=smtp")
        self.s = settings

    def send(self, to: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"] = self.s.mail_from
        msg["To"] = to
        msg["Subject"] = subject
        msg.set_content(body)
        with smtplib.SMTP(self.s.smtp_host or "", self.s.smtp_port, timeout=20) as smtp:
            if self.s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.s.smtp_username:
                smtp.login(self.s.smtp_username, self.s.smtp_password or "")
            smtp.send_message(msg)


def make_mailer(settings: Settings) -> Mailer:
    if settings.mail_backend == "smtp":
        return SmtpMailer(settings)
    return OutboxMailer(settings.outbox_dir)


def read_outbox(outbox_dir: Path, to: str | None = None) -> list[dict[str, str]]:
    """Messages in the outbox, oldest first (tests and local users read codes from here)."""
    if not outbox_dir.exists():
        return []
    out = [json.loads(p.read_text()) for p in sorted(outbox_dir.glob("*.json"))]
    return [m for m in out if to is None or m["to"].lower() == to.lower()]
