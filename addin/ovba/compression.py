"""The run-length compression of [MS-OVBA] 2.4.1, used for the ``dir`` stream and module source.

The format is LZ77 in independent chunks of 4096 decompressed bytes. Each chunk is either a
*compressed* chunk (groups of eight tokens behind a flag byte; a token is a literal byte or a
16-bit copy token ``(offset, length)`` whose split between the two fields grows with the
position in the chunk) or a *raw* chunk holding exactly 4096 bytes verbatim.

:func:`compress` writes compressed chunks only. No Excel-made project holds a raw chunk, and
one third party reports Excel dropping a module stored with one; a short final raw chunk would
also be padded with zeros by the spec, changing the text. A chunk that does not fit compressed
(near-random data; source code compresses far below the limit) raises :class:`ValueError` instead.
:func:`decompress` still reads raw chunks, as other writers may use them.
"""

from __future__ import annotations

import struct

__all__ = ["compress", "decompress"]

_SIGNATURE = 0x01
_CHUNK = 4096
_MAX_PAYLOAD = 4096  # a chunk is at most 4098 bytes including its 2-byte header
_COMPRESSED_FLAG = 0x8000
_CHUNK_SIGNATURE = 0x3000


def _bit_count(position_in_chunk: int) -> int:
    """Offset bits of a copy token written ``position_in_chunk`` bytes into a chunk (2.4.1.3.19.1).

    ``max(ceil(log2(n)), 4)``, computed with integers: ``ceil(log2(n)) == (n - 1).bit_length()``.
    """
    return max((position_in_chunk - 1).bit_length(), 4)


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Token sequences for ``data[start:end]``: greedy longest match within the chunk.

    Candidate positions are indexed by their first three bytes (the shortest copy token
    covers three bytes), so only positions that can start a match are ever compared.
    """
    out = bytearray()
    chains: dict[bytes, list[int]] = {}
    last_key_start = end - 3  # last position whose 3-byte key lies inside the chunk

    def remember(position: int) -> None:
        if position <= last_key_start:
            chains.setdefault(data[position : position + 3], []).append(position)

    pos = start
    while pos < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            bit_count = _bit_count(pos - start)
            limit = min((0xFFFF >> bit_count) + 3, end - pos)
            best_len = 2  # a copy token must beat this: it covers at least three bytes
            best_offset = 0
            candidates = chains.get(data[pos : pos + 3]) if pos <= last_key_start else None
            if candidates:
                for cand in reversed(candidates):  # nearest first: ties keep the nearest
                    length = best_len + 1
                    if length > limit:
                        break
                    if data[cand : cand + length] != data[pos : pos + length]:
                        continue
                    while length < limit and data[cand + length] == data[pos + length]:
                        length += 1
                    best_len, best_offset = length, pos - cand
                    if length == limit:
                        break
            if best_offset:
                token = ((best_offset - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                for p in range(pos, pos + best_len):
                    remember(p)
                pos += best_len
            else:
                out.append(data[pos])
                remember(pos)
                pos += 1
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an [MS-OVBA] CompressedContainer made of compressed chunks only.

    Raises :class:`ValueError` if a chunk does not fit in compressed form (see the module
    docstring): such data is not VBA source.
    """
    data = bytes(data)
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), _CHUNK):
        end = min(start + _CHUNK, len(data))
        payload = _compress_chunk(data, start, end)
        if len(payload) > _MAX_PAYLOAD:
            raise ValueError(
                f"the {end - start}-byte chunk at offset {start} does not compress to 4096 bytes "
                "or less; raw chunks are not written (Excel is reported to drop such modules)"
            )
        header = _COMPRESSED_FLAG | _CHUNK_SIGNATURE | (len(payload) + 2 - 3)
        out += struct.pack("<H", header) + payload
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """Decompress an [MS-OVBA] CompressedContainer, validating every header it reads."""
    data = bytes(data)
    if not data or data[0] != _SIGNATURE:
        raise ValueError("not an MS-OVBA compressed container (signature byte is not 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError(f"truncated chunk header at offset {pos}")
        (header,) = struct.unpack_from("<H", data, pos)
        if header & 0x7000 != _CHUNK_SIGNATURE:
            raise ValueError(f"bad chunk signature at offset {pos}")
        chunk_end = pos + (header & 0x0FFF) + 3
        if chunk_end > len(data):
            raise ValueError(f"chunk at offset {pos} runs past the end of the data")
        pos += 2
        if not header & _COMPRESSED_FLAG:
            if chunk_end - pos != _CHUNK:
                raise ValueError(f"raw chunk at offset {pos - 2} is not 4096 bytes")
            out += data[pos:chunk_end]
            pos = chunk_end
            continue
        chunk_start = len(out)
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise ValueError(f"truncated copy token at offset {pos}")
                (token,) = struct.unpack_from("<H", data, pos)
                pos += 2
                bit_count = _bit_count(len(out) - chunk_start)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                source = len(out) - offset
                if source < chunk_start:
                    raise ValueError(f"copy token at offset {pos - 2} points before its chunk")
                for i in range(source, source + length):  # byte by byte: copies may overlap
                    out.append(out[i])
    return bytes(out)
