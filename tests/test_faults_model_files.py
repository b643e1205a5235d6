"""Hostile model files: changed, cut short or planted, and --overwrite.

An export records the SHA-256 of each of its files; every runtime checks
them before reading a byte of the model, so a flipped byte or a file cut
short is one line (never a crash or wrong scores), and `export --overwrite`
replaces only a folder the zoo wrote itself.
"""

import json
import shutil
import subprocess
import sys
import warnings

import pytest

from conftest import tree_digest
from zoo import cli
from zoo import run_serving
from zoo.serving import artifact
from zoo.serving import runtimes

_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def exports(exported_run_dir):
  """{format: export directory} of the shared run: savedmodel, onnx, tflite."""
  found = {"savedmodel": exported_run_dir / "export"}
  for export_format in ("onnx", "tflite"):
    found[export_format] = run_serving.export_run(
        exported_run_dir, export_format=export_format, overwrite=True)
  return found


def _copy(exports, export_format, tmp_path):
  copy = tmp_path / f"copy-{export_format}"
  shutil.copytree(exports[export_format], copy)
  return copy


def test_every_file_of_an_export_has_its_checksum(exports):
  for export_format, directory in exports.items():
    recorded = artifact.read_export_info(directory)[artifact.FILES_KEY]
    model_file = artifact.MODEL_FILES[export_format]
    assert model_file in recorded
    assert recorded[model_file] == artifact.sha256_of(directory / model_file)
    assert artifact.verify(directory) is None
    assert artifact.is_own_export(directory)


@pytest.mark.parametrize("export_format,damage", [
    ("onnx", "flip"), ("onnx", "truncate"), ("tflite", "truncate"),
    ("tflite", "flip"), ("savedmodel", "flip"), ("savedmodel", "variables"),
    ("savedmodel", "missing")])
def test_a_changed_model_file_is_refused_in_one_line(exports, tmp_path,
                                                     export_format, damage):
  copy = _copy(exports, export_format, tmp_path)
  target = copy / artifact.MODEL_FILES[export_format]
  if damage == "variables":
    target = next((copy / "variables").glob("variables.data-*"))
  if damage == "missing":
    (copy / "variables" / "variables.index").unlink()
  else:
    data = bytearray(target.read_bytes())
    if damage == "flip":
      data[len(data) // 2] ^= 0xFF
    else:
      data = data[:len(data) // 3]
    target.write_bytes(bytes(data))
  before = tree_digest(copy)
  with pytest.raises(artifact.ExportError) as error:
    runtimes.load_export(copy)
  message = str(error.value)
  assert "\n" not in message and "--overwrite" in message
  assert ("missing" if damage == "missing" else "SHA-256") in message
  assert tree_digest(copy) == before


def test_predict_and_evaluate_refuse_a_flipped_onnx(exports, tmp_path,
                                                    capsys):
  copy = _copy(exports, "onnx", tmp_path)
  model = copy / "model.onnx"
  data = bytearray(model.read_bytes())
  data[-100] ^= 0x01
  model.write_bytes(bytes(data))
  image = tmp_path / "x.png"
  from PIL import Image  # pylint: disable=g-import-not-at-top
  Image.new("L", (28, 28)).save(image)
  for argv in (["predict", str(image), "--model", str(copy)],
               ["evaluate", str(copy), "--max-examples", "10"],
               ["predict", str(image), "--model", str(model)]):
    assert cli.main(argv) == 2, argv
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "does not match the SHA-256" in err, err


def test_a_model_without_a_checksum_loads_with_a_note(exports, tmp_path):
  bare = tmp_path / "elsewhere.onnx"
  shutil.copy(exports["onnx"] / "model.onnx", bare)
  with pytest.warns(runtimes.UnverifiedModelWarning, match="unverified"):
    runtime = runtimes.load_export(bare)
  assert runtime.note and "no recorded checksum" in runtime.note
  old = _copy(exports, "tflite", tmp_path)
  info = json.loads((old / artifact.INFO_FILE).read_text())
  del info[artifact.FILES_KEY]  # An export from before checksums.
  (old / artifact.INFO_FILE).write_text(json.dumps(info))
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    runtimes.load_export(old)
  assert any(issubclass(w.category, runtimes.UnverifiedModelWarning)
             for w in caught)


def test_a_bare_tflite_cut_short_is_one_line_not_a_crash(exports, tmp_path):
  data = (exports["tflite"] / "model.tflite").read_bytes()
  paths = []
  for keep in (len(data) // 2, len(data) - 64, 64):
    paths.append(tmp_path / f"copied-{keep}.tflite")  # No checksum here.
    paths[-1].write_bytes(data[:keep])
  # In a process of its own: a crash of the interpreter shows as -11.
  code = ("import sys, warnings; warnings.simplefilter('ignore')\n"
          "from zoo.serving import runtimes, artifact\n"
          "for path in sys.argv[1:]:\n"
          "  try:\n"
          "    runtimes.load_export(path)\n"
          "    print('loaded:', path)\n"
          "  except artifact.ExportError as e:\n"
          "    print('refused:', e)\n")
  result = subprocess.run([sys.executable, "-c", code, *map(str, paths)],
                          cwd=_ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-500:]
  lines = result.stdout.splitlines()
  assert len(lines) == len(paths), result.stdout
  assert all(line.startswith("refused:") and "not a readable" in line
             for line in lines), result.stdout


def test_verification_starts_no_tensorflow(exports):
  code = ("import sys; from zoo.serving import artifact; "
          f"assert artifact.verify({str(exports['onnx'])!r}) is None; "
          "assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
  result = subprocess.run([sys.executable, "-c", code], cwd=_ROOT,
                          capture_output=True, text=True, timeout=120,
                          check=False)
  assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("case", ["lookalike", "added_file", "no_files_key",
                                  "linked_info", "linked_output",
                                  "linked_empty_output"])
def test_overwrite_replaces_only_an_export_the_zoo_wrote(
    exported_run_dir, exports, tmp_path, sentinel, case):
  output = tmp_path / "out"
  if case == "lookalike":  # A user's folder with export-like names.
    output.mkdir()
    (output / "model.onnx").write_bytes(b"my own model")
    (output / artifact.INFO_FILE).write_text('{"files": {}}')
  elif case == "added_file":
    shutil.copytree(exports["onnx"], output)
    (output / "my-notes.txt").write_text("results of last week\n")
  elif case == "no_files_key":
    shutil.copytree(exports["onnx"], output)
    info = json.loads((output / artifact.INFO_FILE).read_text())
    del info[artifact.FILES_KEY]
    (output / artifact.INFO_FILE).write_text(json.dumps(info))
  elif case == "linked_info":
    shutil.copytree(exports["onnx"], output)
    (output / artifact.INFO_FILE).unlink()
    (output / artifact.INFO_FILE).symlink_to(sentinel.path / "victim.json")
  elif case == "linked_output":  # A link to the user's folder.
    output.symlink_to(sentinel.path, target_is_directory=True)
  else:  # A link to an empty folder of the user's.
    (tmp_path / "users-empty").mkdir()
    output.symlink_to(tmp_path / "users-empty", target_is_directory=True)
  before = tree_digest(output)
  with pytest.raises(artifact.ExportError, match="(not an export snt-zoo "
                     "wrote|is a symbolic link).*(c|C)hoose another --output"):
    run_serving.export_run(exported_run_dir, output, export_format="onnx",
                           overwrite=True)
  assert tree_digest(output) == before and sentinel.unchanged()
  assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_overwrite_replaces_the_zoos_own_export(exported_run_dir, exports,
                                                tmp_path):
  output = tmp_path / "out"
  shutil.copytree(exports["onnx"], output)
  model = output / "model.onnx"
  model.write_bytes(model.read_bytes()[:100])  # Damaged: replaceable.
  run_serving.export_run(exported_run_dir, output, export_format="onnx",
                         overwrite=True)
  assert artifact.verify(output) is None
  assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
