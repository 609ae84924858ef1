"""A development mail sink: an SMTP server on loopback that keeps every message it
receives as a `.eml` file, so a local user can read what applicants would get.

    python -m onewindow.devstack.mailsink --port 1025 --folder .state/mail
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MailFolder:
    """aiosmtpd handler that writes each accepted message to one file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or b""
        digest = hashlib.sha256(content).hexdigest()[:12]
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{digest}.eml"
        (self.folder / name).write_bytes(content)
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=1025, help="SMTP port")
    parser.add_argument("--folder", type=Path, default=Path("mail"), help="where messages are kept")
    args = parser.parse_args(argv)
    controller = Controller(MailFolder(args.folder), hostname=args.host, port=args.port)
    controller.start()
    print(f"mail sink on {args.host}:{args.port}, keeping messages in {args.folder}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
