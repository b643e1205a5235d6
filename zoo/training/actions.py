"""What a run does at set points beyond training, passed in by its caller.

A run never imports the reporting code: the caller (the `snt-zoo train`
command, a notebook) passes actions, e.g. `zoo.visualize.training_actions`
(the grid of augmented inputs, the end-of-run embedding).

    class Announce(actions.RunAction):
      def on_finish(self, run, result):
        print("done:", result.accuracy)

    training.run(config, actions=[Announce()])
"""

from typing import Any, Tuple


class RunAction:
  """A hook into a `zoo.training.Run`; override the points you need.

  Every method gets the `Run` itself (its `config`, `model`, `run_dir`,
  `data`, `is_chief`, `strategy`, `normalization`, `summary_writer(split)`).
  """

  #: Config keys (dotted) this action carries out; a run warns when such a
  #: key is on and no action serves it.
  config_keys: Tuple[str, ...] = ()

  def on_first_batch(self, run: Any, images: Any) -> None:
    """Called with the first training batch of a fresh run (step 0)."""

  def on_finish(self, run: Any, result: Any) -> None:
    """Called after the final evaluation with the `RunResult`."""
