"""The receiving office: ``xxgk collect`` reads a folder of submissions, checks each with the
same rule engine as ``xxgk check``, tells who is who, who is missing and who sent two
different versions, sums 表二/表三/表四 and writes the 汇总 workbook, JSON and archive.

Pure Python like the rest of :mod:`validator`; every heavy import happens inside functions.
"""
