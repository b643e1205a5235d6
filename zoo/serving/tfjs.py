"""TensorFlow.js: a SavedModel export converted by `tensorflowjs_converter`.

    tfjs.convert("runs/x/export", "runs/x/export-tfjs", info)

`tensorflowjs` 4.22 pins TensorFlow 2.19, so the converter lives in an
environment of its own (`RECIPE`) and is run as a program: the one named by
the caller (`--tfjs-converter`), else `$SNT_ZOO_TFJS_CONVERTER`, else
`tensorflowjs_converter` on the PATH. Without one, `convert` raises one
line with the recipe.

The converted `model.json` carries the export's description under
`userDefinedMetadata.snt_zoo` (written with the converter's `--metadata`):
`class_names`, `image_size`, `channels`, `normalization`, `temperature`,
and `outputs`, which maps the signature's output names (`probabilities`,
`classes`) to the graph's node names (`Identity`, `Identity_1`), so a
client reads the right tensor of `model.execute(...)` by name.
"""

import json
import os
import pathlib
import shutil
import subprocess
import tempfile
from typing import Any, Dict, Optional

from zoo.serving.artifact import INFO_FILE, SIGNATURE_KEY, ExportError

TFJS = "tfjs"
CONVERTER_ENV = "SNT_ZOO_TFJS_CONVERTER"
CONVERTER = "tensorflowjs_converter"
#: Measured to work: the converter alone crashes at import without ydf 0.11.
RECIPE = ("python3 -m venv ~/.venvs/tfjs && ~/.venvs/tfjs/bin/pip install "
          "tensorflowjs==4.22.0 ydf==0.11.0")
METADATA_KEY = "snt_zoo"
MODEL_FILE = "model.json"


def find_converter(converter: Optional[str] = None) -> Optional[str]:
  """The converter program to run, or None when there is none.

  Args:
    converter: A path or program name; default `$SNT_ZOO_TFJS_CONVERTER`,
      else `tensorflowjs_converter` on the PATH.
  """
  named = converter or os.environ.get(CONVERTER_ENV)
  if named:
    found = shutil.which(named) or (named if os.access(named, os.X_OK)
                                    else None)
    return found
  return shutil.which(CONVERTER)


def missing_converter_message(converter: Optional[str] = None) -> str:
  """The one line that says how to get a converter."""
  where = (f"{converter or os.environ.get(CONVERTER_ENV)} is not an "
           "executable tensorflowjs_converter" if
           converter or os.environ.get(CONVERTER_ENV) else
           f"no {CONVERTER} on the PATH")
  return (f"TensorFlow.js export needs the converter in an environment of its "
          f"own ({where}): {RECIPE}, then pass --tfjs-converter "
          f"~/.venvs/tfjs/bin/{CONVERTER} (or set {CONVERTER_ENV}).")


def convert(saved_model: os.PathLike, output: os.PathLike,
            info: Dict[str, Any], converter: Optional[str] = None,
            timeout: float = 600.0) -> pathlib.Path:
  """Converts a SavedModel export into a TensorFlow.js graph model.

  Args:
    saved_model: A SavedModel export directory (`zoo.serving.formats`).
    output: The directory to write `model.json` and its weights into.
    info: The export's description (written into `model.json`).
    converter: The converter program (see `find_converter`).
    timeout: Seconds the conversion may take.

  Returns:
    The path of `model.json`.

  Raises:
    ExportError: No converter (with the recipe), or a conversion that fails
      (with the converter's last line).
  """
  program = find_converter(converter)
  if program is None:
    raise ExportError(missing_converter_message(converter))
  output = pathlib.Path(output)
  with tempfile.TemporaryDirectory(prefix="snt-zoo-tfjs-") as scratch:
    metadata = pathlib.Path(scratch) / "metadata.json"
    metadata.write_text(json.dumps(dict(info, format=TFJS), sort_keys=True))
    command = [program, "--input_format=tf_saved_model",
               f"--signature_name={SIGNATURE_KEY}", "--saved_model_tags=serve",
               f"--metadata={METADATA_KEY}:{metadata}", str(saved_model),
               str(output)]
    try:
      done = subprocess.run(command, capture_output=True, text=True,
                            check=False, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
      raise ExportError(f"{program} did not run ({e}). "
                        f"{missing_converter_message(converter)}") from None
  model_file = output / MODEL_FILE
  if done.returncode != 0 or not model_file.is_file():
    lines = [line for line in (done.stderr or done.stdout).splitlines()
             if line.strip()]
    raise ExportError(
        f"{program} failed ({lines[-1] if lines else done.returncode}). "
        f"A working converter: {RECIPE}.")
  name_outputs(model_file)
  (output / INFO_FILE).write_text(json.dumps(
      dict(info, format=TFJS), indent=2, sort_keys=True) + "\n")
  return model_file


def name_outputs(model_file: os.PathLike) -> Dict[str, str]:
  """Adds `outputs` (signature name -> node name) to the model's metadata.

  Returns:
    The mapping, e.g. `{"classes": "Identity", "probabilities":
    "Identity_1"}`.
  """
  model_file = pathlib.Path(model_file)
  model = json.loads(model_file.read_text())
  signature = model.get("signature") or {}
  outputs = {name: entry["name"].split(":")[0]
             for name, entry in (signature.get("outputs") or {}).items()}
  metadata = model.setdefault("userDefinedMetadata", {})
  metadata.setdefault(METADATA_KEY, {})["outputs"] = outputs
  model_file.write_text(json.dumps(model))
  return outputs


def read_metadata(model_file: os.PathLike) -> Dict[str, Any]:
  """The description in a converted `model.json` ({} if none)."""
  model = json.loads(pathlib.Path(model_file).read_text())
  return dict((model.get("userDefinedMetadata") or {}).get(METADATA_KEY) or {})
