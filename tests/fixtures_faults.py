"""Fixtures for storage faults made the way they happen for real (tests run as root, so chmod
stops nothing): a small tmpfs that fills up or is read-only, and another process holding
SQLite's write lock."""
from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def _as_root(command: list[str]) -> list[str]:
    """Tests run as root here; elsewhere (a CI runner) through password-less sudo."""
    return command if os.geteuid() == 0 else ["sudo", "-n", *command]


class SmallDisk:
    """A tmpfs of `size` mounted at `path`: fill() it to the last byte, free() it again,
    remount it read-only or read-write. The kernel refuses to remount a filesystem read-only
    while a process has a file on it open for writing (EBUSY), and SQLite always has, so a
    running service meets a read-only disk when it (re)opens the database, not mid-write."""

    def __init__(self, path: Path, size: str):
        self.path = path
        self.size = size
        self.filler = path / "filler"

    def mount(self) -> "SmallDisk":
        self.path.mkdir(parents=True, exist_ok=True)
        options = f"size={self.size},mode=0755,uid={os.geteuid()},gid={os.getegid()}"
        result = subprocess.run(_as_root(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(self.path)]),
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root or password-less sudo): {result.stderr.strip()}")
        return self

    def fill(self) -> int:
        """Write zeros until the disk is full (ENOSPC); returns the bytes written."""
        written = 0
        chunk = b"\0" * 65536
        with open(self.filler, "ab", buffering=0) as f:
            while True:
                try:
                    written += f.write(chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
            for size in (4096, 512, 1):          # the last partial blocks too
                while True:
                    try:
                        written += f.write(b"\0" * size)
                    except OSError:
                        break
        return written

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def remount(self, mode: str) -> None:
        subprocess.run(_as_root(["mount", "-o", f"remount,{mode}", str(self.path)]), check=True,
                       capture_output=True, text=True)

    def unmount(self) -> None:
        subprocess.run(_as_root(["umount", "-l", str(self.path)]), capture_output=True)


@pytest.fixture
def small_disk(tmp_path):
    """small_disk(size="4m") -> a mounted SmallDisk under tmp_path; unmounted after the test."""
    disks = []

    def make(size: str = "4m") -> SmallDisk:
        disk = SmallDisk(tmp_path / f"disk{len(disks)}", size).mount()
        disks.append(disk)
        return disk

    yield make
    for disk in disks:
        disk.unmount()


class LockHolder:
    """Another process (plain Python sqlite3, as a person at the sqlite3 prompt would be) that
    holds the database's write lock: BEGIN IMMEDIATE, then waits until released."""

    def __init__(self, database: Path):
        code = textwrap.dedent(f"""
            import sqlite3, sys
            conn = sqlite3.connect({str(database)!r}, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO ratings (page, language, helpful, created_at)"
                         " VALUES ('/held', 'en', 1, '2000-01-01T00:00:00Z')")
            print("locked", flush=True)
            sys.stdin.readline()
            conn.execute(sys.argv[1])
        """)
        self.proc = None
        self.code = code

    def hold(self, then: str = "ROLLBACK") -> "LockHolder":
        self.proc = subprocess.Popen([sys.executable, "-c", self.code, then], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"
        return self

    def release(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)


@pytest.fixture
def write_lock_holder():
    """write_lock_holder(database_path).hold() -> a LockHolder; released after the test."""
    holders = []

    def make(database) -> LockHolder:
        holder = LockHolder(Path(database))
        holders.append(holder)
        return holder

    yield make
    for holder in holders:
        holder.release()
        if holder.proc and holder.proc.poll() is None:
            holder.proc.kill()


def count_rows(database, table: str, where: str = "1") -> int:
    conn = sqlite3.connect(database, timeout=30)
    try:
        return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
    finally:
        conn.close()
