"""The training progress bar: tqdm on a terminal, a line every 10% otherwise.

The bar goes to stderr (tqdm's convention: stdout keeps the results, such as
the evaluation notes, for a pipe or a file); a terminal narrower than 80
columns gets a layout without the bar graphic, so a 60-column window still
reads the step, percentage, time left, loss and images/s.

    progress = ProgressBar(total=1000, initial=step, batch_size=50)
    progress.update(step, loss=0.25)     # after each step
    progress.note("step 500: test accuracy 0.97")
    progress.close()

The rate, images/s and the ETA count from the first update, not from the
bar's creation: the first step traces and compiles the train step, and
counting it would show a tiny rate and an ETA of hours.
"""

import shutil
import sys
import time
from typing import Callable, Optional, TextIO

import tqdm

#: One layout for the live bar and the logged lines.
_BAR_FORMAT = ("step {n_fmt}/{total_fmt} |{bar}| "
               "[{elapsed}<{remaining}, {rate_fmt}{postfix}]")
#: Below this many columns a terminal gets `_NARROW_FORMAT`.
_NARROW_BELOW = 80
_NARROW_FORMAT = "{n_fmt}/{total_fmt} {percentage:3.0f}% {remaining} left{postfix}"
_LINE_WIDTH = 100


class ProgressBar:
  """Progress of a training loop, with loss, images/s and ETA.

  On a terminal the line is redrawn in place by tqdm (shorter lines are
  padded, so no stale characters remain); on anything else (a log file, a
  pipe) a full line is printed every 10% of the steps and at the end.
  """

  def __init__(self, total: int, initial: int = 0,
               stream: Optional[TextIO] = None, batch_size: int = 0,
               min_interval: float = 0.1,
               clock: Callable[[], float] = time.perf_counter,
               notes: Optional[TextIO] = None):
    """Creates the bar; nothing is shown before the first `update`.

    Args:
      total: The step at which training ends.
      initial: The step training starts (or resumes) from.
      stream: Where the bar goes (default stderr).
      batch_size: Images per step, for images/s (0: not shown).
      min_interval: Least seconds between redraws on a terminal.
      clock: Seconds, for the rate of the logged lines and images/s.
      notes: Where `note` writes (default stdout; `stream` when given).
    """
    self.total = max(int(total), 1)
    self.initial = int(initial)
    self.stream = stream or sys.stderr
    self.notes = notes or stream or sys.stdout
    self.batch_size = int(batch_size)
    self._min_interval = float(min_interval)
    self._clock = clock
    self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
    self._bar: Optional[tqdm.tqdm] = None
    self._first_step: Optional[int] = None
    self._first_time = 0.0
    self._last_decile: Optional[int] = None

  def _postfix(self, step: int, now: float, values) -> str:
    parts = [f"{key} {value:.4f}" for key, value in values.items()]
    elapsed = now - self._first_time
    if self.batch_size and step > self._first_step and elapsed > 0:
      images_per_sec = (step - self._first_step) * self.batch_size / elapsed
      parts.append(f"{images_per_sec:,.0f} img/s")
    return ", ".join(parts)

  def update(self, step: int, **values: float) -> None:
    """Shows progress at `step` with named values (e.g. loss)."""
    now = self._clock()
    if self._first_step is None:
      self._first_step, self._first_time = step, now
    postfix = self._postfix(step, now, values)
    if self._tty:
      if self._bar is None:
        narrow = shutil.get_terminal_size().columns < _NARROW_BELOW
        self._bar = tqdm.tqdm(
            total=self.total, initial=step, file=self.stream, unit="step",
            bar_format=_NARROW_FORMAT if narrow else _BAR_FORMAT,
            smoothing=0.0, dynamic_ncols=True,
            mininterval=self._min_interval, leave=True)
      self._bar.set_postfix_str(postfix, refresh=False)
      self._bar.update(step - self._bar.n)
      return
    decile = int(10 * step / self.total)
    if decile != self._last_decile or step >= self.total:
      self._last_decile = decile
      self.stream.write(tqdm.tqdm.format_meter(
          step, self.total, now - self._first_time, ncols=_LINE_WIDTH,
          unit="step", bar_format=_BAR_FORMAT, postfix=postfix, ascii=True,
          initial=self._first_step) + "\n")
      self.stream.flush()

  def note(self, text: str) -> None:
    """Prints a line without breaking the bar."""
    if self._bar is not None:
      self._bar.clear()
      self.notes.write(text + "\n")
      self.notes.flush()
      self._bar.refresh()
    else:
      self.notes.write(text + "\n")
    self.notes.flush()

  def close(self) -> None:
    """Leaves the final state of the bar on its own line."""
    if self._bar is not None:
      self._bar.close()
      self._bar = None
    self.stream.flush()
