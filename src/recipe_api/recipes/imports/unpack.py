"""Reading an uploaded zip without trusting it: entry count and unpacked size are bounded.

A zip's directory states each entry's size, but a crafted one lies; so the
stated sizes are checked first (a cheap refusal of the obvious bomb), and then
every entry is read through a counter that stops at what is left of the
budget, whatever the header said. Nested zips (Tandoor's export is a zip of
zips) and gzipped entries (Paprika's) draw on the same budget.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field

from recipe_api.recipes.imports.common import UnreadableUploadError


class UploadTooLargeError(Exception):
    """The upload unpacks to more than we read (413)."""


@dataclass
class Budget:
    """What an upload may unpack to, in entries and bytes, shared by everything inside it."""

    max_entries: int
    max_bytes: int
    entries: int = field(default=0, init=False)
    unpacked: int = field(default=0, init=False)

    def count_entries(self, count: int) -> None:
        self.entries += count
        if self.entries > self.max_entries:
            raise UploadTooLargeError(
                f"The archive holds more than {self.max_entries:,} files, more than we read: "
                "export fewer recipes at a time"
            )

    def take(self, size: int) -> None:
        self.unpacked += size
        if self.unpacked > self.max_bytes:
            raise UploadTooLargeError(
                f"The archive unpacks to more than {self.max_bytes // (1024 * 1024):,} MB, "
                "more than we read: export fewer recipes at a time, or without photos"
            )

    @property
    def left(self) -> int:
        return max(0, self.max_bytes - self.unpacked)


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def open_zip(data: bytes, budget: Budget) -> zipfile.ZipFile:
    """The zip, its directory checked against ``budget`` (entries, stated sizes)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableUploadError(f"The file is not a zip archive we can read ({exc})") from exc
    entries = archive.infolist()
    budget.count_entries(len(entries))
    stated = sum(entry.file_size for entry in entries)
    if stated > budget.left:
        budget.take(stated)  # raises, with the message
    return archive


def read_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: Budget) -> bytes:
    """One entry's bytes, read no further than the budget allows whatever its header says."""
    if entry.flag_bits & 0x1:
        raise UnreadableUploadError(f"{entry.filename} is encrypted: export without a password")
    try:
        with archive.open(entry) as stream:
            data = stream.read(budget.left + 1)
    except (zipfile.BadZipFile, NotImplementedError, zlib.error, OSError, EOFError) as exc:
        raise UnreadableUploadError(f"{entry.filename} in the archive is damaged ({exc})") from exc
    budget.take(len(data))
    return data


def gunzip(data: bytes, budget: Budget) -> bytes:
    """A gzip stream's content, stopped at what is left of the budget."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, budget.left + 1)
    except zlib.error as exc:
        raise ValueError(f"not gzip ({exc})") from exc
    budget.take(len(out))
    return out


def files(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The entries that are files, not folders nor the macOS resource forks zips carry."""
    return [
        entry
        for entry in archive.infolist()
        if not entry.is_dir()
        and not entry.filename.startswith("__MACOSX/")
        and not entry.filename.rsplit("/", 1)[-1].startswith("._")
    ]
