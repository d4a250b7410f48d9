"""xxgk-report: 政府信息公开工作年度报告 template, validators and JSON exporter.

The package is the pure core: the format as data, the rule engine, the JSON model and the
file readers/writers. It never talks to Excel itself (see ``addin/`` for that), and its
top level imports nothing heavy so the Excel button starts fast.
"""

import os as _os

__version__ = "0.1.0"
GENERATOR = "xxgk-report"

# openpyxl switches its XML reading and writing to lxml whenever lxml is importable (python-docx,
# used by ``xxgk render``, installs it): pin the stdlib + defusedxml path every test and every
# release was made with, so the bytes we write and the parser untrusted workbooks meet do not
# depend on what else is installed. Set before openpyxl is first imported; a user's own
# OPENPYXL_LXML setting wins.
_os.environ.setdefault("OPENPYXL_LXML", "False")
