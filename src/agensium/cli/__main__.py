"""`python -m agensium.cli`: the same as the `agensium` command."""

from agensium.cli import main

main()
