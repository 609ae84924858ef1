"""`onewindow-identity`: runs the identity service as its own process."""

from __future__ import annotations

import onewindow.identity as package
from onewindow.identity.bootstrap import bootstrap
from onewindow.identity.settings import IdentitySettings
from onewindow.runtime.host import ServiceEntry

SERVICE = ServiceEntry(IdentitySettings, bootstrap, package.__doc__ or "")


def main() -> None:
    SERVICE.main()


if __name__ == "__main__":
    main()
