"""``xxgk serve``: the check page for filers without Excel's button, and the receiving office's board.

:mod:`validator.serve.check` is the web-free part (an uploaded file to a report, as
``xxgk check --json`` gives it); :mod:`validator.serve.app` is the Starlette application,
imported only when the server starts so ``import validator.cli`` stays fast.
"""
