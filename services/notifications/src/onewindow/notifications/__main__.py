"""`onewindow-notifications`: runs the notifications service as its own process."""

from __future__ import annotations

import onewindow.notifications as package
from onewindow.notifications.bootstrap import bootstrap
from onewindow.notifications.settings import NotificationsSettings
from onewindow.runtime.host import ServiceEntry

SERVICE = ServiceEntry(NotificationsSettings, bootstrap, package.__doc__ or "")


def main() -> None:
    SERVICE.main()


if __name__ == "__main__":
    main()
