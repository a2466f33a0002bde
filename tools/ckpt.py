"""Reading and re-sealing mnemonet checkpoint containers, for the fuzzer and the reliability tests.

A checkpoint is ``"MNEMONET"``, a UInt32 format version, the kind (UInt64 length + UTF-8), the payload length
(UInt64), a CRC-32 and the payload (see Sources/MnemonetBase/CheckpointFile.swift). Version 2's CRC covers every
byte before it and the payload; version 1's covered the payload only. ``seal`` builds a container around any payload
with a correct length and CRC, so that a mutated payload reaches the parsers instead of stopping at the checksum.
"""
from __future__ import annotations

import struct
import zlib
from typing import Tuple

MAGIC = b"MNEMONET"


def split(data: bytes) -> Tuple[int, str, bytes]:
    """(format version, kind, payload) of a well-formed container; ValueError otherwise."""
    if data[:8] != MAGIC or len(data) < 32:
        raise ValueError("not a mnemonet checkpoint")
    version, kind_len = struct.unpack_from("<IQ", data, 8)
    kind = data[20:20 + kind_len].decode()
    head = 20 + kind_len
    length, _crc = struct.unpack_from("<QI", data, head)
    return version, kind, data[head + 12:head + 12 + length]


def seal(kind: str, payload: bytes, version: int = 2) -> bytes:
    """A container of `kind` around `payload` with the length and CRC-32 that `version` expects."""
    head = MAGIC + struct.pack("<IQ", version, len(kind)) + kind.encode() + struct.pack("<Q", len(payload))
    crc = zlib.crc32(payload, zlib.crc32(head)) if version >= 2 else zlib.crc32(payload)
    return head + struct.pack("<I", crc & 0xFFFFFFFF) + payload


def reseal(data: bytes, payload: bytes) -> bytes:
    """`data`'s container (same version and kind) around a new `payload`."""
    version, kind, _ = split(data)
    return seal(kind, payload, version)
