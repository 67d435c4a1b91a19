"""Progress for long jobs: rows done, rate and ETA, on stderr (quiet when not a terminal unless asked)."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["NullProgress", "RowProgress"]


class _RateColumn(TextColumn):
    def __init__(self, unit: str) -> None:
        super().__init__("")
        self.unit = unit

    def render(self, task):  # type: ignore[no-untyped-def]
        speed = task.finished_speed or task.speed
        from rich.text import Text

        return Text(
            f"{speed:,.{0 if speed >= 10 else 2}f} {self.unit}/s" if speed else f"— {self.unit}/s",
            style="cyan",
        )


class RowProgress:
    """Context manager showing `label: rows done / total, rows/s, ETA`.

    On a terminal it draws a live bar; otherwise it prints a line every `every_s` seconds,
    so logs of unattended jobs still show rows, rate and ETA. `unit` names what is counted
    when it is not rows (e.g. a build's steps).
    """

    def __init__(
        self, label: str, total: int | None = None, *, every_s: float = 10.0, unit: str = "rows"
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.every_s = every_s
        self.done = 0
        self._console = Console(stderr=True)
        self._live = self._console.is_terminal
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._t0 = 0.0
        self._last = 0.0

    def __enter__(self) -> RowProgress:
        self._t0 = self._last = time.monotonic()
        if self._live:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(self.unit),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self._console,
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=self.total)
        return self

    def add_total(self, more: int) -> None:
        """Raise the total by `more` (work found while the job runs)."""
        self.total = (self.total or 0) + more
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=self.total)

    def advance(self, rows: int) -> None:
        """Record `rows` more rows done."""
        self.done += rows
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=rows)
            return
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self._last = now
            self._print_line(now)

    def _print_line(self, now: float, final: bool = False) -> None:
        elapsed = max(now - self._t0, 1e-9)
        rate = self.done / elapsed
        if self.total and rate > 0 and not final:
            eta = f", ETA {max(self.total - self.done, 0) / rate:,.0f}s"
        else:
            eta = ""
        total = f"/{self.total:,}" if self.total else ""
        word = "done" if final else "…"
        print(
            f"{self.label}: {self.done:,}{total} {self.unit}, {rate:,.{0 if rate >= 10 else 2}f} "
            f"{self.unit}/s, "
            f"{elapsed:,.1f}s{eta} {word}",
            file=sys.stderr,
            flush=True,
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
        else:
            self._print_line(time.monotonic(), final=True)


class NullProgress:
    """Stands in for RowProgress when a caller asked for no output (tests, on-demand scoring)."""

    def __enter__(self) -> NullProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_total(self, more: int) -> None:
        """Ignore progress."""

    def advance(self, rows: int) -> None:
        """Ignore progress."""


class StepLog:
    """Named stages of a long job on stderr: `label: step i/N name, elapsed, ETA`.

    For jobs whose work is not rows (fitting, evaluating): the ETA assumes the steps left
    take as long as the mean step so far, which is rough but shows the job is alive.
    """

    def __init__(self, label: str, steps: int, *, enabled: bool = True) -> None:
        self.label = label
        self.steps = steps
        self.enabled = enabled
        self.done = 0
        self._t0 = time.monotonic()

    def step(self, name: str) -> None:
        """Announce that step `name` starts."""
        if not self.enabled:
            return
        elapsed = time.monotonic() - self._t0
        eta = ""
        if self.done:
            eta = f", ETA {elapsed / self.done * max(self.steps - self.done, 0):,.0f}s"
        self.done += 1
        print(
            f"{self.label}: step {self.done}/{self.steps} {name}, {elapsed:,.1f}s{eta}",
            file=sys.stderr,
            flush=True,
        )

    def log(self, text: str) -> None:
        """A line inside the current step (e.g. boosting rounds)."""
        if self.enabled:
            print(f"{self.label}:   {text}", file=sys.stderr, flush=True)
