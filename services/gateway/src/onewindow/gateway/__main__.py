"""`onewindow-gateway`: runs the gateway service as its own process."""

from __future__ import annotations

import onewindow.gateway as package
from onewindow.gateway.bootstrap import bootstrap
from onewindow.gateway.settings import GatewaySettings
from onewindow.runtime.host import ServiceEntry

SERVICE = ServiceEntry(GatewaySettings, bootstrap, package.__doc__ or "")


def main() -> None:
    SERVICE.main()


if __name__ == "__main__":
    main()
