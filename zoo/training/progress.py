"""A console progress bar with ETA and throughput."""

import sys
import time
from typing import Optional, TextIO


class ProgressBar:
  """Redraws one line on a terminal; prints a line every 10% otherwise."""

  def __init__(self, total: int, initial: int = 0, width: int = 30,
               stream: Optional[TextIO] = None, batch_size: int = 0):
    self.total = max(total, 1)
    self.width = width
    self.stream = stream or sys.stdout
    self.batch_size = batch_size
    self._start_step = initial
    self._start = time.perf_counter()
    self._tty = self.stream.isatty()
    self._last_print = -1
    self._open = False

  def _line(self, step: int, **values: float) -> str:
    fraction = min(step / self.total, 1.0)
    done = int(self.width * fraction)
    elapsed = time.perf_counter() - self._start
    rate = (step - self._start_step) / elapsed if elapsed > 0 else 0.0
    eta = (self.total - step) / rate if rate > 0 else float("nan")
    parts = [f"step {step}/{self.total}",
             "[" + "#" * done + "." * (self.width - done) + "]"]
    parts += [f"{key} {value:.4f}" for key, value in values.items()]
    if self.batch_size:
      parts.append(f"{rate * self.batch_size:,.0f} img/s")
    else:
      parts.append(f"{rate:.2f} steps/s")
    parts.append("ETA " + (_format_seconds(eta) if eta == eta else "?"))
    return " ".join(parts)

  def update(self, step: int, **values: float) -> None:
    """Shows progress at `step` with named values (e.g. loss)."""
    if self._tty:
      self.stream.write("\r" + self._line(step, **values))
      self._open = True
    else:
      decile = int(10 * step / self.total)
      if decile != self._last_print or step == self.total:
        self._last_print = decile
        self.stream.write(self._line(step, **values) + "\n")
    self.stream.flush()

  def note(self, text: str) -> None:
    """Prints a line without breaking the bar."""
    if self._open:
      self.stream.write("\n")
      self._open = False
    self.stream.write(text + "\n")
    self.stream.flush()

  def close(self) -> None:
    if self._open:
      self.stream.write("\n")
      self._open = False
    self.stream.flush()


def _format_seconds(seconds: float) -> str:
  seconds = int(round(seconds))
  hours, rest = divmod(seconds, 3600)
  minutes, seconds = divmod(rest, 60)
  return f"{hours}:{minutes:02d}:{seconds:02d}"
