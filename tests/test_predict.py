"""zoo.predict (and `snt-zoo predict`) with an export and a run directory."""

import numpy as np
from PIL import Image
import pytest

from zoo import cli
from zoo import predict
from zoo import run_serving


@pytest.fixture(scope="module")
def run_dir(exported_run_dir):
  return exported_run_dir


@pytest.fixture
def files(tmp_path):
  rng = np.random.default_rng(1)
  gray = tmp_path / "gray.png"
  Image.fromarray(rng.integers(0, 256, [28, 28], dtype=np.uint8)).save(gray)
  rgb = tmp_path / "big rgb.jpg"
  Image.fromarray(rng.integers(0, 256, [60, 50, 3], dtype=np.uint8)).save(rgb)
  rgba = tmp_path / "rgba.png"
  Image.fromarray(rng.integers(0, 256, [20, 30, 4], dtype=np.uint8),
                  "RGBA").save(rgba)
  text = tmp_path / "notes.png"
  text.write_text("not an image")
  missing = tmp_path / "missing.png"
  return [gray, missing, rgb, text, rgba]


def _parse(out):
  """{file: [(class, probability), ...]} from predict's output."""
  result, current = {}, None
  for line in out.splitlines():
    if not line.startswith(" "):
      current = line.rstrip(":")
      result[current] = []
    else:
      _, name, probability = line.split()
      result[current].append((name, float(probability)))
  return result


@pytest.mark.parametrize("which", ["export", "run"])
def test_predict_reports_bad_files_and_predicts_the_rest(run_dir, files, which,
                                                         capsys):
  model = run_dir / "export" if which == "export" else run_dir
  status = cli.main(["predict", *map(str, files), "--model", str(model),
                     "--top-k", "3"])
  captured = capsys.readouterr()
  assert status == 1
  assert f"{files[1]}: no such file" in captured.err
  assert f"{files[3]}: not an image" in captured.err
  predictions = _parse(captured.out)
  assert set(predictions) == {str(files[0]), str(files[2]), str(files[4])}
  for top in predictions.values():
    assert len(top) == 3
    probabilities = [p for _, p in top]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(name in [str(i) for i in range(10)] for name, _ in top)


def test_export_and_run_agree(run_dir, files):
  outputs = []
  for model in (run_dir / "export", run_dir):
    predictor = run_serving.load(model)
    results = list(predict.classify_files(files, predictor, top_k=10))
    assert [r.error is None for r in results] == [True, False, True, False,
                                                  True]
    outputs.append([dict(r.top_k) for r in results if r.error is None])
  for a, b in zip(*outputs):
    assert a.keys() == b.keys() and len(a) == 10
    for key in a:
      assert a[key] == pytest.approx(b[key], abs=2e-4)


def test_bad_model(tmp_path, capsys):
  assert cli.main(["predict", "x.png", "--model", str(tmp_path)]) == 2
  err = capsys.readouterr().err
  assert "Error" in err and "Traceback" not in err


@pytest.mark.parametrize("name,what", [("model.onnx", "ONNX model"),
                                       ("model.tflite",
                                        "TensorFlow Lite model")])
def test_corrupt_model_files_are_one_line_user_errors(tmp_path, capsys, name,
                                                      what):
  pytest.importorskip("onnxruntime")
  model = tmp_path / name
  model.write_bytes(np.random.default_rng(0).bytes(1000))
  image = tmp_path / "x.png"
  Image.new("L", (28, 28)).save(image)
  for target in (model, tmp_path):  # The file, and its directory.
    assert cli.main(["predict", str(image), "--model", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"is not a readable {what}" in err and "snt-zoo export" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_truncated_export_and_bad_export_info(run_dir, tmp_path, capsys):
  damaged = tmp_path / "damaged"
  damaged.mkdir()
  for path in (run_dir / "export").iterdir():
    if path.is_file():
      (damaged / path.name).write_bytes(path.read_bytes())
  pb = damaged / "saved_model.pb"
  pb.write_bytes(pb.read_bytes()[:200])
  image = tmp_path / "x.png"
  Image.new("L", (28, 28)).save(image)
  assert cli.main(["predict", str(image), "--model", str(damaged)]) == 2
  assert "saved_model.pb does not match the SHA-256" in (
      capsys.readouterr().err)
  (damaged / "export_info.json").write_text("{}")  # No checksums recorded.
  assert cli.main(["predict", str(image), "--model", str(damaged)]) == 2
  assert "is not a readable SavedModel" in capsys.readouterr().err
  info = tmp_path / "onnx_dir"
  info.mkdir()
  (info / "model.onnx").write_bytes(b"\0")
  (info / "export_info.json").write_text("{not json")
  assert cli.main(["predict", str(image), "--model", str(info)]) == 2
  err = capsys.readouterr().err
  assert "export_info.json cannot be read" in err and "Traceback" not in err


def test_large_images_decode_quietly_and_bombs_are_refused(tmp_path,
                                                          monkeypatch):
  monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
  large, bomb = tmp_path / "large.png", tmp_path / "bomb.png"
  Image.new("L", (12, 12)).save(large)  # Over the limit, under twice it.
  Image.new("L", (20, 20)).save(bomb)  # Over twice the limit.
  import warnings  # pylint: disable=g-import-not-at-top
  with warnings.catch_warnings():
    warnings.simplefilter("error")
    assert predict.read_image(large, 1).shape == (12, 12, 1)
  with pytest.raises(predict.ImageReadError, match="too large to decode"):
    predict.read_image(bomb, 3)


def test_a_16_bit_digit_is_the_8_bit_digit(run_dir, tmp_path):
  """A 16-bit grey PNG is read by its high byte (as TensorFlow reads it),
  not clipped to white."""
  digits, _ = run_serving.split_as_uint8(
      run_serving.run_of(run_serving.load(run_dir / "export")), "test",
      max_examples=3)
  runtime = run_serving.load(run_dir / "export")
  for index, digit in enumerate(digits[..., 0]):
    narrow, wide = tmp_path / f"{index}-8.png", tmp_path / f"{index}-16.png"
    Image.fromarray(digit).save(narrow)
    Image.fromarray(digit.astype(np.uint16) * 257).save(wide)
    assert Image.open(wide).mode.startswith("I;16")
    expected, got = predict.classify_files([narrow, wide], runtime, top_k=10)
    assert got.top_k == expected.top_k
