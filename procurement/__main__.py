"""Allows `python -m procurement`."""
from procurement.cli import main

main()
