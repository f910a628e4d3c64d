"""`python -m bigalpha` is the `bigalpha` command."""

from bigalpha.cli import main

main()
