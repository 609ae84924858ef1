"""`onewindow-work-permit`: runs the work-permit service as its own process."""

from __future__ import annotations

import onewindow.work_permit as package
from onewindow.runtime.host import ServiceEntry
from onewindow.work_permit.bootstrap import bootstrap
from onewindow.work_permit.settings import WorkPermitSettings

SERVICE = ServiceEntry(WorkPermitSettings, bootstrap, package.__doc__ or "")


def main() -> None:
    SERVICE.main()


if __name__ == "__main__":
    main()
