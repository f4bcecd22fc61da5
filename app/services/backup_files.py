"""The backup file: a standard zip (manifest, database, uploads) deflated on every core, and its checks."""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import struct
import threading
import time
import zipfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Callable

from isal import isal_zlib

FORMAT = 2  # 2: each member's SHA-256 is of its bytes as stored in the zip; 1 (still read): of its content
READABLE_FORMATS = (1, 2)
MANIFEST = "manifest.json"
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
UPLOADS_PREFIX = "uploads/"
CHUNK = 1 << 20
DEFLATE_BLOCK = 8 << 20
Progress = Callable[[float], None]
class BackupError(Exception):
    """A backup cannot be made, verified or restored; the message is for the person who asked."""


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def progress_step(progress: Progress | None, start: float, end: float) -> Progress:
    """Map a sub-task's 0..100 onto start..end of the whole."""
    def report(pct: float) -> None:
        if progress:
            progress(start + (end - start) * max(0.0, min(100.0, pct)) / 100)
    return report


# ---------------------------------------------------------------- database snapshots

def _pump(src, dest, size_hint: int = 0, progress: Progress | None = None, chunk_size: int = CHUNK,
          digest: bool = True) -> tuple[str | None, int]:
    """Copy src into dest (None: read only, which is how zipfile checks a member's CRC), reporting progress;
    returns the SHA-256 of what passed (None if not asked) and its size."""
    sha, done = hashlib.sha256() if digest else None, 0
    while chunk := src.read(chunk_size):
        if sha:
            sha.update(chunk)
        if dest is not None:
            dest.write(chunk)
        done += len(chunk)
        if progress and size_hint:
            progress(100 * done / size_hint)
    return (sha.hexdigest() if sha else None), done


def _deflate_block(block: bytes, level: int, last: bool) -> bytes:
    squeezer = isal_zlib.compressobj(level, isal_zlib.DEFLATED, -15)
    return squeezer.compress(block) + squeezer.flush(isal_zlib.Z_FINISH if last else isal_zlib.Z_SYNC_FLUSH)


class ParallelDeflate:
    """zlib's compressor interface, deflating 8 MB blocks on every core with ISA-L (several times zlib's speed).
    Sync-flushed blocks join into one ordinary deflate stream, as pigz does, so any unzip reads the member."""

    def __init__(self, level: int, workers: int | None = None):
        self.level = max(0, min(3, level))  # ISA-L's levels
        self.digest = hashlib.sha256()  # of the stream as emitted: the member's bytes in the zip
        self.blocks: list[int] = []  # each block's deflated length: where a reader can cut to inflate in parallel
        workers = workers or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="deflate")
        self._ahead = 2 * workers  # blocks in flight: enough to keep every core busy, bounded memory
        self._pending: deque[Future] = deque()
        self._buffer = bytearray()

    def _submit(self, block: bytes, last: bool) -> None:
        self._pending.append(self._pool.submit(_deflate_block, block, self.level, last))

    def _ready(self, wait_beyond: int) -> bytes:
        out = []
        while self._pending and (len(self._pending) > wait_beyond or self._pending[0].done()):
            out.append(self._pending.popleft().result())
            self.blocks.append(len(out[-1]))
        data = b"".join(out)
        self.digest.update(data)
        return data

    def compress(self, data: bytes) -> bytes:
        if not self._buffer and len(data) == DEFLATE_BLOCK:  # the usual case: whole blocks, no copying
            self._submit(bytes(data), last=False)
            return self._ready(wait_beyond=self._ahead)
        self._buffer += data
        while len(self._buffer) >= DEFLATE_BLOCK:
            self._submit(bytes(self._buffer[:DEFLATE_BLOCK]), last=False)
            del self._buffer[:DEFLATE_BLOCK]
        return self._ready(wait_beyond=self._ahead)

    def flush(self, mode: int = zlib.Z_FINISH) -> bytes:
        self._submit(bytes(self._buffer), last=True)
        self._buffer.clear()
        try:
            return self._ready(wait_beyond=0)
        finally:
            self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _open_for_writing(zf: zipfile.ZipFile, info: zipfile.ZipInfo, level: int, workers: int | None = None):
    """A member writer whose deflate runs in parallel on ISA-L; zipfile still frames the member and its CRC."""
    writer = zf.open(info, "w", force_zip64=True)
    if info.compress_type == zipfile.ZIP_DEFLATED and hasattr(writer, "_compressor"):
        writer._compressor = ParallelDeflate(level, workers)  # not yet used: zipfile only makes it in open()
    return writer


def open_for_reading(zf: zipfile.ZipFile, name: str):
    """A member reader that inflates with ISA-L, about twice zlib's speed; same stream, same CRC check."""
    reader = zf.open(name)
    if reader._compress_type == zipfile.ZIP_DEFLATED and hasattr(reader, "_decompressor"):
        reader._decompressor = isal_zlib.decompressobj(-15)
    return reader


def add_member(zf: zipfile.ZipFile, source: Path, arcname: str, level: int,
                progress: Progress | None = None, workers: int | None = None) -> dict:
    """Level 0 stores the file; 1-3 deflate it (ISA-L levels). The checksum is of the bytes as stored, a quarter
    of the data to hash when deflated; the zip's own CRC guards the content when it is inflated."""
    info = zipfile.ZipInfo(arcname, date_time=time.gmtime(source.stat().st_mtime)[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if level > 0 else zipfile.ZIP_STORED
    writer = _open_for_writing(zf, info, level, workers)
    compressor = getattr(writer, "_compressor", None)
    parallel = isinstance(compressor, ParallelDeflate)
    try:
        with open(source, "rb") as src:
            # a stored member's bytes are its content, hashed here; a deflated one's are hashed as they come out
            sha, size = _pump(src, writer, source.stat().st_size, progress, DEFLATE_BLOCK,
                              digest=info.compress_type == zipfile.ZIP_STORED)
    finally:
        writer.close()
        if parallel:
            compressor.close()
    if parallel:
        return {"path": arcname, "sha256": compressor.digest.hexdigest(), "size": size, "blocks": compressor.blocks}
    if info.compress_type != zipfile.ZIP_STORED:  # zipfile's own deflate (an interpreter without the hook)
        sha = _stored_digest(zf.fp, zf.getinfo(arcname))
    return {"path": arcname, "sha256": sha, "size": size}


def _data_offset(fp, info: zipfile.ZipInfo) -> int:
    """Where a member's stored bytes start: after its local header, whose name and extra lengths vary."""
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise BackupError(f"{info.filename}: its header is damaged.")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length


def _stored_digest(fp, info: zipfile.ZipInfo) -> str:
    """SHA-256 of a member's bytes as they are in the zip file."""
    position = fp.tell()
    try:
        fp.seek(_data_offset(fp, info))
        digest, left = hashlib.sha256(), info.compress_size
        while left > 0:
            chunk = fp.read(min(DEFLATE_BLOCK, left))
            if not chunk:
                raise EOFError(f"{info.filename} is cut short")
            digest.update(chunk)
            left -= len(chunk)
        return digest.hexdigest()
    finally:
        fp.seek(position)


def payload_digest(members: list[dict]) -> str:
    """One SHA-256 over every payload member's own checksum, in manifest order."""
    digest = hashlib.sha256()
    for m in members:
        digest.update(f"{m['path']}\0{m['sha256']}\n".encode())
    return digest.hexdigest()


def read_manifest(path: Path) -> dict:
    """The manifest of a complete backup; a truncated or foreign file is refused with a reason."""
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read(MANIFEST))
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise BackupError(f"{path.name} is damaged or incomplete: not a readable backup ({exc}).") from exc
    except KeyError as exc:
        raise BackupError(f"{path.name} has no manifest: it is not a complete backup.") from exc
    except ValueError as exc:
        raise BackupError(f"{path.name} has an unreadable manifest.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") not in READABLE_FORMATS:
        raise BackupError(f"{path.name} is not a backup this portal can read.")
    return manifest


def extracted_path(manifest: dict, work: Path) -> Path:
    """Where check_file puts the database."""
    return work / Path(manifest["database"]["path"]).name


def check_file(path: Path, work: Path, progress: Progress | None = None,
               written: "Watermark | None" = None) -> tuple[dict, Path]:
    """Check every member against the manifest (SHA-256, size, the zip's CRC on inflating); returns the manifest
    and the database, extracted into `work`. `written` follows the extraction, for a reader that keeps behind."""
    try:
        return _check_file(path, work, progress, written)
    finally:
        if written is not None:
            written.close()


def _check_file(path: Path, work: Path, progress: Progress | None, written: "Watermark | None") -> tuple[dict, Path]:
    manifest = read_manifest(path)
    members = [manifest["database"], *manifest["files"]]
    work.mkdir(parents=True, exist_ok=True)
    if payload_digest(members) != manifest.get("payload_sha256"):
        raise BackupError(f"{path.name}: the manifest's checksums do not add up; the file was altered.")
    db_file = extracted_path(manifest, work)

    def altered(member: dict) -> BackupError:
        return BackupError(f"{path.name}: {member['path']} does not match its checksum; the file was altered.")

    total = sum(m["size"] for m in members) or 1
    done = 0
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            for member in members:
                if member["path"] not in names:
                    raise BackupError(f"{path.name}: {member['path']} is missing.")
                target = db_file if member is members[0] else None
                if target and member.get("blocks") and manifest["format"] >= 2:
                    with open(target, "wb") as out:
                        # full length at once: SQLite refuses a file shorter than its header says, and a restore
                        # reads this one while it is being written (never past what `written` says is there)
                        out.truncate(member["size"])
                        sha, size = _inflate_blocks(zf.fp, zf.getinfo(member["path"]), member["blocks"], out,
                                                    written.advance if written else None)
                else:
                    if manifest["format"] >= 2 and _stored_digest(zf.fp, zf.getinfo(member["path"])) != member["sha256"]:
                        raise altered(member)
                    sha, size = _read_member(zf, member, manifest["format"], target)
                    if target and written:
                        written.advance(size)
                if sha != member["sha256"] or size != member["size"]:
                    raise altered(member)
                done += size
                if progress:
                    progress(100 * done / total)
    except (zipfile.BadZipFile, zlib.error, isal_zlib.error, OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path.name} is damaged: {exc}") from exc  # KeyError, TypeError: a manifest out of shape
    return manifest, db_file


def _read_member(zf: zipfile.ZipFile, member: dict, fmt: int, target: Path | None) -> tuple[str, int]:
    """Read a member through (zipfile checks its CRC at the end), into `target` if given; format 1's checksum is
    of the content, so it is computed here; format 2's was checked on the stored bytes before."""
    with open_for_reading(zf, member["path"]) as src, open(target, "wb") if target else nullcontext() as out:
        sha, size = _pump(src, out, digest=fmt == 1)
    return (sha if fmt == 1 else member["sha256"]), size


def _inflate_block(raw: bytes, last: bool) -> bytes:
    inflater = isal_zlib.decompressobj(-15)
    data = inflater.decompress(raw)
    if inflater.unconsumed_tail or inflater.eof != last:
        raise BackupError("a block of the database does not inflate whole; the file was altered.")
    return data


def _inflate_blocks(fp, info: zipfile.ZipInfo, blocks: list[int], out,
                    written: Callable[[int], None] | None = None) -> tuple[str, int]:
    """Inflate a member ParallelDeflate wrote, block by block on every core, hashing its stored bytes on the way;
    returns that SHA-256 and the inflated size."""
    if sum(blocks) != info.compress_size:
        raise BackupError(f"{info.filename}: its block list does not match the file; the file was altered.")
    fp.seek(_data_offset(fp, info))
    digest, size, workers = hashlib.sha256(), 0, os.cpu_count() or 1
    with ThreadPoolExecutor(workers, thread_name_prefix="inflate") as pool:
        pending: deque[Future] = deque()
        for i, length in enumerate(blocks):
            raw = fp.read(length)
            if len(raw) != length:
                raise EOFError(f"{info.filename} is cut short")
            digest.update(raw)
            pending.append(pool.submit(_inflate_block, raw, i == len(blocks) - 1))
            while len(pending) > 2 * workers or (pending and pending[0].done()):
                size += out.write(pending.popleft().result())
                if written:
                    out.flush()
                    written(size)
        while pending:
            size += out.write(pending.popleft().result())
            if written:
                out.flush()
                written(size)
    return digest.hexdigest(), size


class Watermark:
    """How far a file has been written, so a reader can follow the writer without overtaking it."""

    def __init__(self):
        self._changed = threading.Condition()
        self.value = 0
        self.closed = False

    def advance(self, value: int) -> None:
        with self._changed:
            self.value = value
            self._changed.notify_all()

    def close(self) -> None:
        """The writer is done, whole or not: nobody waits any longer."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait_for(self, value: int) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self.value >= value or self.closed)
            if self.value < value:
                raise BackupError("The backup's database ended before it was whole.")


