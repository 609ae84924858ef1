"""E-mail delivery over SMTP with aiosmtplib: one message, one recipient, one connection.

The `Message-ID` header is the delivery's deterministic id, so a message sent
again after a crash (sent, but not yet recorded) carries the same id as the first
and the mail server, the recipient's client and the tests can tell it is a repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib

from onewindow.notifications.domain.delivery import DeliveryFailure, redact, smtp_failure
from onewindow.notifications.settings import SmtpTls


@dataclass(frozen=True)
class Mail:
    """One e-mail as the delivery log holds it."""

    delivery_id: str
    recipient: str
    subject: str
    text: str
    html: str
    language: str


def message_id_of(delivery_id: str, sender: str) -> str:
    """The `Message-ID` of a delivery: `<delivery-id@sender's domain>`."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "onewindow.invalid"
    return f"<{delivery_id}@{domain}>"


def compose(mail: Mail, *, sender: str, date: datetime) -> EmailMessage:
    """The MIME message: a plain-text part and its HTML alternative, UTF-8."""
    message = EmailMessage()
    message["Message-ID"] = message_id_of(mail.delivery_id, sender)
    message["Date"] = format_datetime(date)
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    # After the parts: `set_content` drops every Content-* header set before it.
    message["Content-Language"] = "zh-CN, en" if mail.language == "zh" else "en, zh-CN"
    return message


class SmtpMailer:
    """Sends mail through one SMTP server; failures come out as `DeliveryFailure`."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        tls: SmtpTls,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 15.0,
    ) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.sender = sender
        self._username, self._password = username, password
        self._timeout_s = timeout_s

    async def send(self, mail: Mail, *, now: datetime) -> None:
        """Hand `mail` to the server. Raises `DeliveryFailure` (permanent for 5xx)."""
        message = compose(mail, sender=self.sender, date=now)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self._username,
                password=self._password,
                use_tls=self.tls == "tls",
                start_tls=self.tls == "starttls",
                timeout=self._timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [r.code for r in refused.recipients]
            code = max(codes) if codes else None
            raise smtp_failure(code, f"recipient refused: {_first_line(refused)}") from None
        except aiosmtplib.SMTPResponseException as answer:
            raise smtp_failure(answer.code, f"{answer.code} {_first_line(answer)}") from None
        except aiosmtplib.SMTPNotSupported as missing:
            # The server lacks what the settings ask for (e.g. STARTTLS): waiting won't help.
            raise DeliveryFailure(
                f"not supported: {_first_line(missing)}", permanent=True
            ) from None
        except (aiosmtplib.SMTPException, OSError) as away:
            raise smtp_failure(None, f"{type(away).__name__}: {_first_line(away)}") from None


def _first_line(error: BaseException) -> str:
    # SMTP answers may quote the recipient's address back; keep the text short and single.
    text = getattr(error, "message", None) or str(error)
    return redact(str(text).splitlines()[0][:200]) if text else type(error).__name__
