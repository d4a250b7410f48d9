"""JSON reports (what ``xxgk export`` writes): parsed by the standard parser, checked by the model.

The machinery is :mod:`validator.jsonio` (parsing, limits, the Chinese wording of every refusal)
with :mod:`validator.jsonshape` (the model-free read of a plainly well-formed report).
"""

from __future__ import annotations

from pathlib import Path

from validator.jsonio import load_json, read_json_bytes
from validator.jsonlimits import MAX_JSON_BYTES
from validator.readers.base import CONTENT, NAME, Reader
from validator.submission import JSON, Submission

KIND = JSON


def sniff(head: bytes, name: str) -> int:
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return CONTENT
    return NAME if name.lower().endswith(".json") else 0


def read(path: Path, data: bytes | None) -> Submission:
    if data is None:  # over the size limit, or it could not be read whole: load_json says which
        return load_json(path)
    return read_json_bytes(data, path.name)


READER = Reader(KIND, "JSON 文件", (".json",), sniff, read, MAX_JSON_BYTES, whole=True)
