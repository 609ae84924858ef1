"""`onewindow-gateway`: runs the gateway service as its own process."""

from __future__ import annotations

import onewindow.gateway as package
from onewindow.gateway.bootstrap import bootstrap
from onewindow.gateway.settings import GatewaySettings
from onewindow.runtime.host import service_main


def main() -> None:
    service_main(GatewaySettings, bootstrap, package.__doc__ or "")


if __name__ == "__main__":
    main()
