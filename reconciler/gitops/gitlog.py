"""Reading a git repository through the `git` command: the commits that touched a folder, with
their changed paths (renames detected), file contents at any commit in one batch, and whether
the clone is shallow; and the commit checked out where a plan's manifests are. The only module
that runs git; failures become `HistoryError` (or no commit, for a plan).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ReconcilerError

# Field and record separators no commit message contains in practice.
_RS = "\x1e"
_FS = "\x1f"
_LOG_FORMAT = f"{_RS}%H{_FS}%P{_FS}%an{_FS}%ae{_FS}%aI{_FS}%B{_FS}"

# Every git call has a bound: a lock held by another git, a hook or a network file system must
# not hang a plan. The history reads whole logs and may take a while on a large repository;
# the commit a plan names is one rev-parse, and a plan does not wait long for it.
GIT_SECONDS = 300.0
HEAD_COMMIT_SECONDS = 10.0
# git never asks on the terminal (a credential prompt would wait for ever) and takes no
# optional locks (a plan reading the history must not block a user's git in the same clone).
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


class HistoryError(ReconcilerError):
    """git is missing, the folder is not in a repository, or git refused a command."""


@dataclass(frozen=True, slots=True)
class Change:
    """One path changed by a commit. `old_path` differs from `path` for renames and copies;
    it is None when the file was added, and `path` is None when it was deleted."""

    status: str  # A, M, D, R, C, T
    old_path: str | None
    path: str | None


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: str  # ISO 8601, author date
    message: str
    changes: tuple[Change, ...]

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()


class Repository:
    """A git work tree, found from any folder inside it."""

    def __init__(self, folder: Path) -> None:
        self.top = Path(self._git(["rev-parse", "--show-toplevel"], cwd=folder).strip())

    @staticmethod
    def _git(
        args: Sequence[str], *, cwd: Path, stdin: bytes | None = None, seconds: float | None = None
    ) -> str:
        out = Repository._git_bytes(args, cwd=cwd, stdin=stdin, seconds=seconds)
        return out.decode("utf-8", "replace")

    @staticmethod
    def _git_bytes(
        args: Sequence[str], *, cwd: Path, stdin: bytes | None = None, seconds: float | None = None
    ) -> bytes:
        seconds = GIT_SECONDS if seconds is None else seconds
        try:
            result = subprocess.run(
                ["git", *args],
                cwd=cwd,
                input=stdin,
                capture_output=True,
                check=False,
                timeout=seconds,
                env={**os.environ, **_GIT_ENV},
            )
        except subprocess.TimeoutExpired as exc:
            raise HistoryError(f"git {args[0]}: no answer in {seconds:g}s") from exc
        except FileNotFoundError as exc:
            raise HistoryError("git is not installed: the history is read with git") from exc
        except NotADirectoryError as exc:
            raise HistoryError(f"{cwd}: not a folder") from exc
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = detail[-1] if detail else f"exit {result.returncode}"
            if "not a git repository" in reason:
                raise HistoryError(f"{cwd}: not inside a git repository")
            raise HistoryError(f"git {args[0]}: {reason}")
        return result.stdout

    def git(self, *args: str) -> str:
        return self._git(args, cwd=self.top)

    def is_shallow(self) -> bool:
        return self.git("rev-parse", "--is-shallow-repository").strip() == "true"

    def shallow_boundary(self) -> frozenset[str]:
        """Commits whose parents this clone does not have."""
        shallow_file = Path(self.git("rev-parse", "--git-path", "shallow").strip())
        if not shallow_file.is_absolute():
            shallow_file = self.top / shallow_file
        if not shallow_file.exists():
            return frozenset()
        return frozenset(shallow_file.read_text().split())

    def has_commits(self) -> bool:
        try:
            self.git("rev-parse", "--verify", "--quiet", "HEAD")
        except HistoryError:
            return False
        return True

    def commits(self, pathspecs: Sequence[str]) -> list[Commit]:
        """Commits of HEAD that touched `pathspecs`, oldest first, renames detected.

        Merge commits come without changes (as in plain `git log`): their branch commits carry
        the changes, so nothing is counted twice.
        """
        out = self.git(
            "log", "--reverse", "-M", "-z", "--name-status", f"--format={_LOG_FORMAT}",
            "HEAD", "--", *pathspecs,
        )  # fmt: skip
        return [_parse_record(record) for record in out.split(_RS) if record.strip("\0\n")]

    def followed_paths(self, path: str) -> set[str]:
        """Every name `path` had in the history of HEAD (git log --follow)."""
        out = self.git(
            "log", "--follow", "-M", "-z", "--name-only", "--format=", "HEAD", "--", path
        )
        return {name for name in out.split("\0") if name.strip()} | {path}

    def files_at_head(self, folder: str) -> list[str]:
        out = self.git("ls-tree", "-r", "-z", "--name-only", "HEAD", "--", folder)
        return [name for name in out.split("\0") if name]

    def read_blobs(self, specs: Iterable[str]) -> dict[str, bytes | None]:
        """`{"COMMIT:path": content}` in one `git cat-file --batch`; None where missing."""
        wanted = list(dict.fromkeys(specs))
        if not wanted:
            return {}
        stdin = "".join(spec + "\n" for spec in wanted).encode()
        out = self._git_bytes(["cat-file", "--batch"], cwd=self.top, stdin=stdin)
        blobs: dict[str, bytes | None] = {}
        pos = 0
        for spec in wanted:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                blobs[spec] = out[pos : pos + size]
                pos += size + 1  # the content is followed by a newline
            else:  # "<spec> missing", or a tree/submodule: nothing to parse
                blobs[spec] = None
                if len(header) == 3:
                    pos += int(header[2]) + 1
        return blobs


def head_commit(folder: Path) -> str | None:
    """The commit checked out in the work tree that holds `folder`; None when there is none (not
    a repository, no commit yet, no git): a plan then names no commit."""
    try:
        sha = Repository._git(
            ["rev-parse", "HEAD"], cwd=folder, seconds=HEAD_COMMIT_SECONDS
        ).strip()
    except (HistoryError, OSError):
        return None
    return sha or None


def _parse_record(record: str) -> Commit:
    sha, parents, name, email, date, message, rest = record.split(_FS, 6)
    tokens = [token for token in rest.split("\0") if token.strip()]
    changes: list[Change] = []
    i = 0
    while i < len(tokens):
        status = tokens[i].strip()[:1]
        if status in ("R", "C"):
            changes.append(Change(status, tokens[i + 1], tokens[i + 2]))
            i += 3
        else:
            path = tokens[i + 1]
            if status == "A":
                changes.append(Change(status, None, path))
            elif status == "D":
                changes.append(Change(status, path, None))
            else:
                changes.append(Change(status, path, path))
            i += 2
    return Commit(
        sha=sha,
        parents=tuple(parents.split()),
        author_name=name,
        author_email=email,
        date=date,
        message=message.strip(),
        changes=tuple(changes),
    )
