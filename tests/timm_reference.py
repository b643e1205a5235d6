"""Writes a random-initialised timm model's weights, an input and its logits.

    python tests/timm_reference.py MODEL SIZE OUT_DIR [--pth]

Run as its own process (`run` starts it): PyTorch and TensorFlow are not
imported into one test process. Writes OUT_DIR/weights.npz (the eval-mode state dict, with
random BatchNorm statistics), with --pth also OUT_DIR/weights.pth (PyTorch's
own format), and OUT_DIR/io.npz
(`images` NHWC in [-1, 1], `logits`, `features`: the pooled features).
"""

import os
import pathlib
import subprocess
import sys

import numpy as np


def run(name: str, size: int, out_dir: pathlib.Path, pth: bool = False):
  """Runs this script in a subprocess; returns (weights path, io arrays)."""
  command = [sys.executable, __file__, name, str(size), str(out_dir)]
  subprocess.run(command + (["--pth"] if pth else []), check=True,
                 capture_output=True)
  return out_dir / "weights.npz", dict(np.load(out_dir / "io.npz"))


def main(name: str, size: int, out_dir: str, pth: bool) -> None:
  import timm  # pylint: disable=g-import-not-at-top
  import torch  # pylint: disable=g-import-not-at-top
  torch.manual_seed(0)
  model = timm.create_model(name, num_classes=10).eval()
  generator = torch.Generator().manual_seed(1)
  with torch.no_grad():
    for module in model.modules():
      if isinstance(module, torch.nn.BatchNorm2d):
        channels = module.num_features
        module.weight.uniform_(0.5, 1.5, generator=generator)
        module.bias.normal_(0, 0.2, generator=generator)
        module.running_mean.normal_(0, 0.2, generator=generator)
        module.running_var.uniform_(0.5, 1.5, generator=generator)
        assert module.running_var.shape == (channels,)
  images = np.random.default_rng(2).uniform(
      -1, 1, (2, size, size, 3)).astype(np.float32)
  with torch.no_grad():
    nchw = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    features = model.forward_head(model.forward_features(nchw),
                                  pre_logits=True)
    logits = model(nchw)
  state = {k: v.numpy() for k, v in model.state_dict().items()}
  np.savez(os.path.join(out_dir, "weights.npz"), **state)
  if pth:
    torch.save(model.state_dict(), os.path.join(out_dir, "weights.pth"))
  np.savez(os.path.join(out_dir, "io.npz"), images=images,
           logits=logits.numpy(), features=features.numpy(),
           num_parameters=sum(p.numel() for p in model.parameters()))


if __name__ == "__main__":
  main(sys.argv[1], int(sys.argv[2]), sys.argv[3], "--pth" in sys.argv[4:])
