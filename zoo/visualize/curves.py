"""Learning curves from a run's metrics.jsonl."""

import os
from typing import Dict, List, Optional

from zoo.datasets import safe_files
from zoo.training.run_dir import RunDirError
from zoo.visualize import _common
from zoo.visualize._plotting import pyplot as plt


def write_curves(run: _common.RunLike, out: Optional[os.PathLike] = None
                 ) -> List[str]:
  """curves.png: loss and accuracy per step, training and evaluation.

  A step logged twice (a resumed run) is drawn with its last record.

  Args:
    run: The run directory (a `RunDir` or its path), read through
      `RunDir.read_metrics` (metrics.jsonl).
    out: Output directory (default RUN_DIR/visualize).

  Returns:
    The written path, in a list.

  Raises:
    RunDirError: If metrics.jsonl is missing or empty.
  """
  run = _common.as_run(run)
  records = run.read_metrics()
  if not records:
    raise RunDirError(f"{run.metrics_path} is missing or empty: is "
                      f"{run.path} a run directory with logged steps?")
  series: Dict[str, Dict[int, dict]] = {}
  for record in records:  # A resumed run may repeat steps: keep the last.
    series.setdefault(record["split"], {})[int(record["step"])] = record
  figure, axes = plt.subplots(1, 2, figsize=(11, 4))
  for split, by_step in sorted(series.items(),
                               key=lambda kv: kv[0] != "train"):
    steps = sorted(by_step)
    style = "-" if split == "train" else "o-"
    label = "training" if split == "train" else f"evaluation ({split})"
    for axis, key in zip(axes, ("loss", "accuracy")):
      axis.plot(steps, [by_step[s][key] for s in steps], style, label=label,
                markersize=4)
  for axis, key in zip(axes, ("loss", "accuracy")):
    axis.set_xlabel("step")
    axis.set_ylabel(key)
    axis.grid(alpha=0.3)
    axis.legend()
  source = records[-1].get("data_source", "")
  figure.suptitle(f"{run.path.name}: {source}", fontsize=9)
  figure.tight_layout()
  path = _common.out_dir(run, out) / "curves.png"
  safe_files.write_with(path, lambda p: figure.savefig(p, dpi=100))
  plt.close(figure)
  return [str(path)]
