"""`onewindow-applications`: runs the applications service as its own process."""

from __future__ import annotations

import onewindow.applications as package
from onewindow.applications.bootstrap import bootstrap
from onewindow.applications.settings import ApplicationsSettings
from onewindow.runtime.host import ServiceEntry

SERVICE = ServiceEntry(ApplicationsSettings, bootstrap, package.__doc__ or "")


def main() -> None:
    SERVICE.main()


if __name__ == "__main__":
    main()
