"""The ``xxgk`` command line (also ``python -m validator``): a face over :mod:`validator.api`.

:mod:`validator.cli.program` builds the parser from the command modules (one per group:
filing, info, collect, render, serve, archive, import_) and runs the chosen one; each command
module only declares its options, calls the API and prints.
"""
