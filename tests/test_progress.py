"""zoo.training.progress.ProgressBar: tqdm on a terminal, lines otherwise."""

import io
import re

from zoo.training.progress import ProgressBar


class _Terminal(io.StringIO):

  def isatty(self):
    return True


class _Clock:
  """A clock the test moves by hand."""

  def __init__(self):
    self.now = 0.0

  def __call__(self):
    return self.now


def _screen(text):
  """What a terminal shows: each \\r returns to the line start, overwriting."""
  lines = []
  for line in text.split("\n"):
    shown = ""
    for segment in line.split("\r"):
      shown = segment + shown[len(segment):]
    lines.append(shown.rstrip())
  return lines


def test_not_a_terminal_prints_a_line_every_tenth():
  stream = io.StringIO()
  bar = ProgressBar(200, stream=stream, batch_size=8)
  for step in range(1, 201):
    bar.update(step, loss=1.0 / step)
  bar.close()
  text = stream.getvalue()
  assert "\r" not in text
  lines = text.splitlines()
  steps = [int(re.match(r"step (\d+)/200", line).group(1)) for line in lines]
  assert steps == [1, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200]
  assert "loss 0.0050" in lines[-1]


def test_the_first_step_does_not_count_in_the_rate():
  stream, clock = io.StringIO(), _Clock()
  bar = ProgressBar(100, stream=stream, batch_size=10, clock=clock)
  clock.now = 600.0  # The first step traces and compiles for ten minutes.
  bar.update(1, loss=1.0)
  for step in range(2, 101):
    clock.now += 0.01  # Then 100 steps/s, 1,000 images/s.
    bar.update(step, loss=0.5)
  lines = stream.getvalue().splitlines()
  halfway = next(line for line in lines if line.startswith("step 50/100"))
  assert "1,000 img/s" in halfway
  assert "<00:00," in halfway  # 50 steps left at 100 steps/s.
  assert "100.00step/s" in lines[-1]


def test_terminal_redraws_leave_no_stale_characters():
  stream = _Terminal()
  bar = ProgressBar(4, stream=stream, batch_size=0, min_interval=0.0)
  bar.update(1, loss=123456.789, accuracy=0.5)
  bar.update(2, loss=1.0)
  bar.note("step 2: test accuracy 0.9000")
  bar.update(3, loss=0.5)
  bar.update(4, loss=0.25)
  bar.close()
  text = stream.getvalue()
  assert "\r" in text
  shown = [line for line in _screen(text) if line]
  assert "step 2: test accuracy 0.9000" in shown
  assert shown[-1].startswith("step 4/4")
  assert shown[-1].endswith("loss 0.2500]")
  # Every line shows exactly what was drawn last on it.
  for line in text.split("\n"):
    assert _screen(line)[0] == line.split("\r")[-1].rstrip()


def test_a_60_column_terminal_reads_every_figure(monkeypatch):
  import os  # pylint: disable=g-import-not-at-top
  import shutil  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(shutil, "get_terminal_size",
                      lambda fallback=None: os.terminal_size((60, 24)))
  stream, clock = _Terminal(), _Clock()
  bar = ProgressBar(1000, stream=stream, batch_size=50, min_interval=0.0,
                    clock=clock)
  for step in range(1, 541):
    clock.now = step * 0.01
    bar.update(step, loss=0.4532)
  shown = [line for line in _screen(stream.getvalue()) if line]
  assert len(shown[-1]) <= 60, shown[-1]
  assert shown[-1].startswith("540/1000  54%")
  assert "loss 0.4532" in shown[-1] and "img/s" in shown[-1]


def test_the_bar_is_on_stderr_and_notes_on_stdout(capsys):
  bar = ProgressBar(10)
  bar.update(5, loss=1.0)
  bar.note("step 5: test accuracy 0.5")
  bar.close()
  captured = capsys.readouterr()
  assert captured.out == "step 5: test accuracy 0.5\n"
  assert captured.err.startswith("step 5/10")
