"""A private Dovecot IMAP server on a free loopback port: its own config dir, one test user
in a passwd file, Maildir under a temporary folder; no system service. Used by the e-mail
tests and ``benchmarks/email_import.py`` (``scripts/ensure-dovecot.sh`` installs Debian's package).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "balie"
PASSWORD = "imap-test-secret"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u/Maildir
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
imap_idle_notify_interval = 1 mins
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Dovecot:
    """One Dovecot instance: ``start``, ``stop``, ``restart`` (same port and mail)."""

    def __init__(self, extra: str = "") -> None:
        """``extra``: lines added to the configuration (``imap_capability = …`` to offer a
        server without IDLE)."""
        # its own folder: Dovecot's unprivileged users must traverse every parent of it
        self.root = root = Path(tempfile.mkdtemp(prefix="balie-dovecot-"))
        root.chmod(0o755)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:  # root: the mail belongs to Dovecot's own unprivileged users
            internal = pwd.getpwnam("dovecot")
            login_user, self.uid, self.gid = "dovenull", internal.pw_uid, internal.pw_gid
        else:
            internal = pwd.getpwuid(os.geteuid())
            login_user, self.uid, self.gid = internal.pw_name, internal.pw_uid, internal.pw_gid
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (root / "dovecot.conf").write_text(
            CONFIG.format(
                root=root,
                port=self.port,
                uid=self.uid,
                gid=self.gid,
                login_user=login_user,
                internal_user=internal.pw_name,
            )
            + extra
            + "\n"
        )
        if os.geteuid() == 0:
            os.chown(root / "mail", self.uid, self.gid)

    @property
    def settings(self) -> dict[str, object]:
        """Channel settings pointing at this server."""
        return {
            "imap_host": "127.0.0.1",
            "imap_port": self.port,
            "imap_security": "none",
            "imap_username": USER,
        }

    def start(self) -> None:
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        log = (self.root / "dovecot.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"dovecot did not start on port {self.port}: {log}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def cleanup(self) -> None:
        """Stop and remove the folder."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self):  # type: ignore[no-untyped-def]
        """A logged-in IMAPClient (the test's own, to APPEND as a mail server would)."""
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(USER, PASSWORD)
        return client

    def append(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Deliver one message into a mailbox."""
        client = self.client()
        try:
            if mailbox != "INBOX" and not client.folder_exists(mailbox):
                client.create_folder(mailbox)
            client.append(mailbox, raw)
        finally:
            client.logout()
