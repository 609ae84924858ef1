"""`onewindow-work-permit`: runs the work-permit service as its own process."""

from __future__ import annotations

import onewindow.work_permit as package
from onewindow.runtime.host import service_main
from onewindow.work_permit.bootstrap import bootstrap
from onewindow.work_permit.settings import WorkPermitSettings


def main() -> None:
    service_main(WorkPermitSettings, bootstrap, package.__doc__ or "")


if __name__ == "__main__":
    main()
