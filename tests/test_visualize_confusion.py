"""zoo.visualize.confusion: the confusion matrix picture and CSV."""

import pathlib

import numpy as np
from PIL import Image
import pytest

from test_visualize import make_run, offline
from zoo.visualize import confusion


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  offline(monkeypatch, tmp_path_factory)


def _read_csv(path):
  lines = pathlib.Path(path).read_text().splitlines()
  return lines[0].split(",")[1:], np.array(
      [[int(x) for x in line.split(",")[1:]] for line in lines[1:]])


def test_confusion_csv():
  text = confusion.confusion_csv(np.array([[3, 1], [0, 2]]), ["cat", "dog"])
  assert text == "true\\predicted,cat,dog\ncat,3,1\ndog,0,2\n"


def test_write_confusion_counts_the_models_predictions(tmp_path_factory,
                                                       tmp_path):
  run = make_run(tmp_path_factory.getbasetemp())
  picture, csv = confusion.write_confusion(run, out=tmp_path)
  assert Image.open(picture).size[0] >= 500
  names, matrix = _read_csv(csv)
  assert names == [str(d) for d in range(10)] and matrix.shape == (10, 10)
  dataset = run.dataset().load("test", normalize=run.normalization,
                               batch_size=500)
  model, _ = run.restore_model()
  labels, predictions = [], []
  for images, batch_labels in dataset:
    labels.append(batch_labels.numpy())
    predictions.append(np.argmax(model(images, is_training=False), -1))
  labels, predictions = np.concatenate(labels), np.concatenate(predictions)
  np.testing.assert_array_equal(matrix.sum(axis=1),
                                np.bincount(labels, minlength=10))
  np.testing.assert_array_equal(matrix.sum(axis=0),
                                np.bincount(predictions, minlength=10))
  assert np.trace(matrix) == (labels == predictions).sum()
  assert matrix.sum() == 1500
