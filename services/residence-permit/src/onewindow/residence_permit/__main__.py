"""`onewindow-residence-permit`: runs the residence-permit service as its own process."""

from __future__ import annotations

import onewindow.residence_permit as package
from onewindow.residence_permit.bootstrap import bootstrap
from onewindow.residence_permit.settings import ResidencePermitSettings
from onewindow.runtime.host import ServiceEntry

SERVICE = ServiceEntry(ResidencePermitSettings, bootstrap, package.__doc__ or "")


def main() -> None:
    SERVICE.main()


if __name__ == "__main__":
    main()
