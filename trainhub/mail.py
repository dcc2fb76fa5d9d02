"""Outgoing e-mail over SMTP with the MAIL_* settings; only jobs send, never a web request."""
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

log = logging.getLogger(__name__)


class MailError(RuntimeError):
    """The message could not be handed to the SMTP server."""


class Mailer:
    """One SMTP connection reused for several messages (opened on the first send)."""

    def __init__(self, server: str, port: int, sender: str, timeout: float = 10):
        self.server, self.port, self.sender, self.timeout = server, port, sender, timeout
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_config(cls, config) -> "Mailer":
        return cls(config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_FROM"],
                   config.get("MAIL_TIMEOUT", 10))

    def send(self, to: str, subject: str, body: str) -> None:
        """Send one plain-text message; MailError (logged) when the server cannot take it."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)
        try:
            if self._smtp is None:
                self._smtp = smtplib.SMTP(self.server, self.port, timeout=self.timeout)
            self._smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            log.warning("mail to %s failed via %s:%s: %s", to, self.server, self.port, error)
            raise MailError(f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
