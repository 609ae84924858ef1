"""Boundaries that hold, read from the source with `ast` (no infrastructure needed).

- A service imports no other service: services talk through Kafka topics only.
- The libraries (`contracts/`, `libs/`, `deploy/local/`) import no service and not the
  command line: libraries never import applications.
- The command line (`cli/`) imports no service: what it shares with the gateway's
  console is in `onewindow.ops`, the registry's bodies in `onewindow.contracts`; where it
  needs a service's code it runs the service as a process (`onewindow stack`,
  `onewindow ops rebuild`), by module name.

Every import counts: at module level or inside a function, and a call of
`importlib.import_module` or `__import__` too (one whose target is not a literal is
"dynamic": it could be anything, so it needs an exception like any other).
`EXCEPTIONS` lists each allowed crossing with its reason; one that is no longer taken
fails too, so the list stays exactly what the code does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DYNAMIC = "<dynamic>"
NAMESPACE = "onewindow"
LIBRARIES = ("contracts", "libs", "deploy/local")


def service_packages() -> dict[str, str]:
    """Each service's import package (`onewindow.work_permit`) by its folder (`work-permit`)."""
    found: dict[str, str] = {}
    for source in sorted(ROOT.glob("services/*/src/onewindow/*/__init__.py")):
        found[f"onewindow.{source.parent.name}"] = source.parents[3].name
    return found


SERVICES = service_packages()

PERMITS_TOGETHER = "services/work-permit/tests/integration/test_work_permit_service.py"
# (file, what it imports: a service's package or DYNAMIC) -> why it may.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("cli/src/onewindow/cli/asyncapi.py", DYNAMIC): (
        "`make asyncapi` describes each service's broker as the service wires it: it imports "
        "`<service>.__main__` by the module name `onewindow.devstack.services` lists, builds "
        "the app from its `SERVICE` entry (`runtime.host.ServiceEntry`) and reads the broker "
        "from it (`broker_of`; nothing is started). The subscribers and their groups are "
        "only known to the service's code."
    ),
    (PERMITS_TOGETHER, "onewindow.residence_permit"): (
        "a test of the two permit services together, filed under one of them (issue 18 names "
        "it); it belongs in tests/ beside the other cross-service tests, which the permit "
        "kernel's move takes care of."
    ),
}


@dataclass(frozen=True)
class Crossing:
    """A file that imports another part's package (or imports dynamically)."""

    file: str
    target: str  # a service package, `onewindow.cli`, or DYNAMIC
    line: int
    module: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.module}"


def imported_modules(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Every absolute module a tree imports, with its line (DYNAMIC where unknowable)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno
            if node.module == NAMESPACE:  # `from onewindow import gateway`
                for alias in node.names:
                    yield f"{node.module}.{alias.name}", node.lineno
        elif isinstance(node, ast.Call) and _called_name(node.func) in {
            "import_module",
            "__import__",
        }:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield first.value, node.lineno
            else:
                yield DYNAMIC, node.lineno


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _package_of(module: str, packages: set[str]) -> str | None:
    for package in packages:
        if module == package or module.startswith(package + "."):
            return package
    return None


def crossings(folder: str, forbidden: set[str]) -> list[Crossing]:
    """Imports of `forbidden` packages (and dynamic imports) by the Python files under `folder`."""
    found: set[Crossing] = set()
    for path in sorted((ROOT / folder).rglob("*.py")):
        if any(part.startswith(".") or part == "build" for part in path.parts):
            continue
        name = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
        for module, line in imported_modules(tree):
            if module == DYNAMIC:
                found.add(Crossing(name, DYNAMIC, line, "a module named at run time"))
            elif (package := _package_of(module, forbidden)) is not None:
                found.add(Crossing(name, package, line, module))
    return sorted(found, key=lambda c: (c.file, c.line, c.target))


def every_crossing() -> list[Crossing]:
    """Each part's imports of what it must not import."""
    found: list[Crossing] = []
    for package, folder in SERVICES.items():
        others = set(SERVICES) - {package}
        found += crossings(f"services/{folder}", others)
    found += crossings("cli", set(SERVICES))
    for library in LIBRARIES:
        found += crossings(library, {*SERVICES, "onewindow.cli"})
    return found


def test_every_service_folder_is_known() -> None:
    # A service whose package the scan misses would escape every rule below.
    folders = {p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists()}
    assert set(SERVICES.values()) == folders
    assert len(SERVICES) >= 6


def test_no_part_imports_a_service_it_must_not() -> None:
    unexplained = [str(c) for c in every_crossing() if (c.file, c.target) not in EXCEPTIONS]
    assert unexplained == [], (
        "Services talk through Kafka; the CLI and the libraries import no service. Move "
        "what is shared into `libs/` or `contracts/`, or run the service as a process:\n"
        + "\n".join(unexplained)
    )


def test_every_exception_is_still_taken() -> None:
    taken = {(c.file, c.target) for c in every_crossing()}
    stale = [f"{file} -> {target}" for file, target in EXCEPTIONS if (file, target) not in taken]
    assert stale == [], "No longer needed; remove from EXCEPTIONS:\n" + "\n".join(stale)


def test_the_scan_sees_imports_wherever_they_are() -> None:
    source = (
        "import onewindow.gateway.ops\n"
        "from onewindow import identity\n"
        "def later():\n"
        "    from onewindow.work_permit.bootstrap import bootstrap\n"
        "    importlib.import_module('onewindow.notifications.__main__')\n"
        "    importlib.import_module(name)\n"
        "from . import sibling\n"
    )
    found = {module for module, _ in imported_modules(ast.parse(source))}
    packages = {_package_of(m, set(SERVICES)) for m in found} - {None}
    assert packages == {
        "onewindow.gateway",
        "onewindow.identity",
        "onewindow.work_permit",
        "onewindow.notifications",
    }
    assert DYNAMIC in found
