"""Checkpoint plumbing shared by the wrappers: bytes, file objects and pickling all use the native checkpoint format.

Every native object (``mnemonet._native``) has ``save``/``load`` (a path or a binary file object),
``to_bytes``/``from_bytes`` and pickles through those bytes. The wrappers add :class:`CheckpointBytes`, whose
``to_bytes``/``from_bytes`` are their own ``save``/``load`` through an in-memory file, so the bytes equal the file
``save`` writes. Pickling and ``copy.deepcopy`` of a wrapper copy its attributes; its native object inside goes
through the checkpoint bytes (a view such as ``agent.controller`` goes through its agent, so the links survive).
"""
from __future__ import annotations

import io
import os
from typing import Any


def source_name(source: Any) -> str:
    """How a checkpoint source appears in error messages: the quoted path, or "the checkpoint data"."""
    if isinstance(source, (str, bytes, os.PathLike)):
        return repr(os.fspath(source))
    return "the checkpoint data"


class CheckpointBytes:
    """Mixin for a class with ``save(target)`` / ``load(source)`` accepting binary file objects."""

    def to_bytes(self) -> bytes:
        """The checkpoint as bytes: exactly what :meth:`save` writes to a file (magic, kind, CRC-32, payload)."""
        buffer = io.BytesIO()
        self.save(buffer)  # type: ignore[attr-defined]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: Any):
        """A new object from checkpoint bytes (``bytes``, ``bytearray`` or ``memoryview``) as :meth:`to_bytes` or
        :meth:`save` made them; truncated, corrupt or foreign data raises ``CheckpointFormatError``."""
        return cls.load(io.BytesIO(memoryview(data).tobytes()))  # type: ignore[attr-defined]
