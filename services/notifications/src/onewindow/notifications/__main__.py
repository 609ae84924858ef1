"""`onewindow-notifications`: runs the notifications service as its own process."""

from __future__ import annotations

import onewindow.notifications as package
from onewindow.notifications.bootstrap import bootstrap
from onewindow.notifications.settings import NotificationsSettings
from onewindow.runtime.host import service_main


def main() -> None:
    service_main(NotificationsSettings, bootstrap, package.__doc__ or "")


if __name__ == "__main__":
    main()
