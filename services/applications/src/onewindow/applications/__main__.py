"""`onewindow-applications`: runs the applications service as its own process."""

from __future__ import annotations

import onewindow.applications as package
from onewindow.applications.bootstrap import bootstrap
from onewindow.applications.settings import ApplicationsSettings
from onewindow.runtime.host import service_main


def main() -> None:
    service_main(ApplicationsSettings, bootstrap, package.__doc__ or "")


if __name__ == "__main__":
    main()
