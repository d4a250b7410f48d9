"""How large a report JSON may be: checked before anything is built from it."""

MAX_JSON_BYTES = 50 * 1024 * 1024
MAX_LIST_ITEMS = 5000
"""Explanations and findings in one report: one per (rule, cells), and the format has about
230 cells; checked before the model builds an object for each (a 48 MB file of a million
explanations took 13 s and 1.2 GB)."""
MAX_CELLS_PER_ITEM = 1000
MAX_AGGREGATE_BODIES = 100_000
"""Bodies an aggregate names (``aggregate.bodies``): as many as a roster may list."""
MAX_JSON_OBJECTS = 100_000
"""JSON objects ({…}) in one file, counted while parsing: a report has about 60, plus a few per
finding; a file of a million small objects stops here instead of filling memory."""
