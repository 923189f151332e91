"""A progress bar for the command line (imports, the batch, exports): one line on stderr,
redrawn in place on a terminal; a line per tenth of the work when stderr is a file or a pipe
(logs)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class Progress:
    def __init__(self, what: str, stream: TextIO | None = None) -> None:
        self.what = what
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.interactive = self.stream.isatty()
        self._tenth = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.interactive:
            # a log gets a line per tenth of the work, not one per call
            tenth = 10 * done // total if total else 10
            if tenth == self._tenth and done < total:
                return
            self._tenth = tenth
        filled = WIDTH * done // total if total else WIDTH
        line = (
            f"{self.what} [{'#' * filled}{'-' * (WIDTH - filled)}] {done}/{total}"
            f" {time.monotonic() - self.started:.1f} s"
        )
        if self.interactive:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
