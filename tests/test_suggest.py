"""zoo.suggest: the did-you-mean hint of unknown names."""

from zoo import suggest


def test_closest_choice():
  assert suggest.did_you_mean("xceptoin", ["xception", "mobilenet_v1"]) == (
      " Did you mean 'xception'?")


def test_nothing_close_gives_nothing():
  assert suggest.did_you_mean("zzzz", ["xception", "mobilenet_v1"]) == ""
  assert suggest.did_you_mean("x", []) == ""


def test_prefix_and_several():
  assert suggest.did_you_mean("stpes", ["steps", "epochs"], prefix="train.") == (
      " Did you mean 'train.steps'?")
  hint = suggest.did_you_mean("mnsit", ["mnist", "emnist", "kmnist"],
                              prefix="tfds:", count=2)
  assert hint.startswith(" Did you mean 'tfds:mnist' or 'tfds:")


def test_non_string_input():
  assert suggest.did_you_mean(3, ["3", "4"]) == " Did you mean '3'?"
