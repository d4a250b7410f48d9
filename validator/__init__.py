"""xxgk-report: 政府信息公开工作年度报告 template, validators and JSON exporter.

The package is the pure core: the format as data, the rule engine, the JSON model and the
file readers/writers. It never talks to Excel itself (see ``addin/`` for that), and its
top level imports nothing heavy so the Excel button starts fast.
"""

__version__ = "0.1.0"
GENERATOR = "xxgk-report"
