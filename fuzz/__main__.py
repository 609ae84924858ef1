"""`python -m fuzz`: see `fuzz.cli`."""

from fuzz.cli import main

main()
