"""Published weights by name: where each file lives, its hash, and its port.

    model = zoo.create_model("xception", pretrained="imagenet")
    pretrained.list_pretrained("xception")      # ["imagenet"]
    pretrained.weights_path("xception", "imagenet")   # the cached file

For each (model, tag) the registry holds the publisher's files: URL, the hash
the publisher gives (Keras Applications publishes an md5 in its source;
where none is published the entry says so), size, licence, the port that
reads it (`keras` is `zoo.keras_port`, `timm` is `zoo.timm_port`, imported
only when a file is loaded) and the model arguments the file implies.

A file is downloaded once into `<snt-zoo cache>/weights/` through
`zoo.download` (verified, atomic) and reused from there without touching the
network; the cached file is verified again on every use. With
`$SNT_ZOO_OFFLINE` set, or no network, the error names the exact file to
place in the cache and its URL. A file without a published hash is refused
unless `allow_unverified=True` (or `$SNT_ZOO_ALLOW_UNVERIFIED=1`).
"""

import dataclasses
import importlib
import inspect
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from zoo import download

#: Set to 1 to use weight files whose publisher gives no hash.
ALLOW_UNVERIFIED_ENV = "SNT_ZOO_ALLOW_UNVERIFIED"
#: The cache folder of weight files, under `zoo.download.cache_root()`.
CACHE_SUBDIR = "weights"

#: Port name -> the module that reads its files (imported when used).
PORTS = {"keras": "zoo.keras_port", "timm": "zoo.timm_port"}


class PretrainedError(ValueError):
  """An unknown model or tag, or weights that do not fit the model."""


class WeightsUnavailable(PretrainedError):
  """The file is not in the cache and cannot be downloaded (offline)."""


@dataclasses.dataclass(frozen=True)
class WeightsFile:
  """One published weight file.

  Attributes:
    url: The publisher's URL.
    filename: Its name in the cache (`<cache>/weights/<filename>`).
    checksum: `"md5:<hex>"` / `"sha256:<hex>"` as the publisher gives it;
      None where the publisher gives none.
    port: "keras" or "timm": the module in `PORTS` that reads the file.
    loader: The function of that module that copies the file into a model.
    licence: The licence the publisher states.
    has_top: Whether the file holds the 1000-class classifier.
    size: Size in bytes where known.
    requires: Model arguments the file is for (e.g. `{"alpha": 0.25}`).
    model_kwargs: Arguments the file implies, used where the caller set none.
    source: Where the URL and hash were read.
  """
  url: str
  filename: str
  checksum: Optional[str]
  port: str
  loader: str
  licence: str
  has_top: bool = True
  size: Optional[int] = None
  requires: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  model_kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  source: str = ""


_KERAS = "https://storage.googleapis.com/tensorflow/keras-applications/"
_KERAS_LICENCE = "Apache-2.0 (Keras Applications)"
_KERAS_XCEPTION = "keras-team/keras keras/src/applications/xception.py"
_KERAS_MOBILENET = "keras-team/keras keras/src/applications/mobilenet.py"
_TIMM_LICENCE = "Apache-2.0 (timm default_cfgs)"
_TIMM_SOURCE = ("huggingface/pytorch-image-models timm/models/"
                "xception_aligned.py default_cfgs (hf_hub_id timm/); the Hub "
                "publishes no hash there")


def _keras_xception_file(suffix: str, checksum: str,
                         size: Optional[int] = None) -> WeightsFile:
  """Keras' Xception file with (`suffix` "") or without ("_notop") the top."""
  name = f"xception_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
  return WeightsFile(
      url=f"{_KERAS}xception/{name}", filename=name, checksum=checksum,
      port="keras", loader="load_keras_xception_weights",
      licence=_KERAS_LICENCE, has_top=not suffix, size=size,
      model_kwargs={"image_size": 299}, source=_KERAS_XCEPTION)


def _mobilenet_files() -> Tuple[WeightsFile, ...]:
  """Keras' MobileNet files at 224: each alpha, with and without the top."""
  files = []
  for alpha, text in ((1.0, "1_0"), (0.75, "7_5"), (0.5, "5_0"),
                      (0.25, "2_5")):
    for has_top, suffix in ((True, "tf"), (False, "tf_no_top")):
      name = f"mobilenet_{text}_224_{suffix}.h5"
      files.append(WeightsFile(
          url=f"{_KERAS}mobilenet/{name}", filename=name, checksum=None,
          port="keras", loader="load_keras_weights", licence=_KERAS_LICENCE,
          has_top=has_top, requires={"alpha": alpha, "depth_multiplier": 1},
          model_kwargs={"image_size": 224},
          source=f"{_KERAS_MOBILENET} (get_file without file_hash)"))
  return tuple(files)


def _timm_file(model: str, tag: str) -> WeightsFile:
  return WeightsFile(
      url=f"https://huggingface.co/timm/{model}.{tag}/resolve/main/"
      "model.safetensors",
      filename=f"{model}.{tag}.safetensors", checksum=None, port="timm",
      loader="load_timm_weights", licence=_TIMM_LICENCE,
      model_kwargs={"image_size": 299}, source=_TIMM_SOURCE)


#: (model, tag) -> its files; the first that fits the model is used.
REGISTRY: Dict[Tuple[str, str], Tuple[WeightsFile, ...]] = {
    ("xception", "imagenet"): (
        _keras_xception_file("", "md5:0a58e3b7378bc2990ea3b43d5981f1f6"),
        _keras_xception_file("_notop", "md5:b0042744bf5b25fce3cb969f33bebb97",
                             size=83683744),
    ),
    ("mobilenet_v1", "imagenet"): _mobilenet_files(),
    ("xception41", "imagenet"): (_timm_file("xception41", "tf_in1k"),),
    ("xception65", "imagenet"): (_timm_file("xception65", "tf_in1k"),),
    ("xception65", "ra3_in1k"): (_timm_file("xception65", "ra3_in1k"),),
    ("xception71", "imagenet"): (_timm_file("xception71", "tf_in1k"),),
}


def list_pretrained(model: Optional[str] = None) -> List[str]:
  """Tags with published weights: of `model`, or `model/tag` for all."""
  if model is None:
    return sorted(f"{m}/{t}" for m, t in REGISTRY)
  return sorted(t for m, t in REGISTRY if m == model)


def _files(model: str, tag: str) -> Tuple[WeightsFile, ...]:
  if (model, tag) not in REGISTRY:
    tags = list_pretrained(model)
    if tags:
      raise PretrainedError(
          f"No pretrained weights {tag!r} for {model}; its tags: "
          f"{', '.join(tags)}.")
    listing = ", ".join(
        f"{m} ({'/'.join(list_pretrained(m))})"
        for m in sorted({m for m, _ in REGISTRY}))
    raise PretrainedError(f"No pretrained weights for {model!r}; models "
                          f"with weights: {listing}.")
  return REGISTRY[(model, tag)]


def _wants_top(arguments: Mapping[str, Any], has_top_classes: int = 1000
               ) -> bool:
  return bool(arguments.get("include_top", True) and
              arguments.get("num_classes") == has_top_classes and
              not arguments.get("hidden_sizes"))


def select(model: str, tag: str,
           arguments: Mapping[str, Any]) -> Tuple[WeightsFile, bool]:
  """The file for a model built with `arguments`, and whether to load its top.

  Args:
    model: A registered model name.
    tag: One of `list_pretrained(model)`.
    arguments: The model's arguments (its defaults updated by the caller's).

  Returns:
    `(file, load_top)`: the top is loaded when the model has the publisher's
    1000-class classifier (no hidden layers); otherwise the backbone only.

  Raises:
    PretrainedError: Unknown model or tag, or arguments no file is for.
  """
  files = _files(model, tag)
  fitting = [f for f in files if all(
      arguments.get(k, v) == v for k, v in f.requires.items())]
  if not fitting:
    keys = sorted({k for f in files for k in f.requires})
    choices = ", ".join(
        f"{k} in {sorted({f.requires[k] for f in files if k in f.requires})}"
        for k in keys)
    given = ", ".join(f"{k}={arguments.get(k)!r}" for k in keys)
    raise PretrainedError(f"{model}/{tag} has weights for {choices}; got "
                          f"{given}.")
  wants_top = _wants_top(arguments)
  for weights in fitting:
    if weights.has_top == wants_top:
      return weights, wants_top
  return fitting[0], wants_top and fitting[0].has_top


def cache_path(weights: WeightsFile) -> Path:
  """Where `weights` lives in the cache."""
  return download.cache_root() / CACHE_SUBDIR / weights.filename


def _describe(weights: WeightsFile) -> str:
  size = f", {weights.size / 1e6:.0f} MB" if weights.size else ""
  hash_text = weights.checksum or "no published hash"
  return f"{weights.url} ({hash_text}{size})"


def _allow_unverified(allow: Optional[bool]) -> bool:
  if allow is not None:
    return allow
  return os.environ.get(ALLOW_UNVERIFIED_ENV, "") not in ("", "0")


def fetch_weights(weights: WeightsFile, allow_unverified: Optional[bool] = None,
                  timeout: float = 30.0) -> Path:
  """The verified local file of `weights`, downloading it once.

  Args:
    weights: A registry file.
    allow_unverified: Use a file whose publisher gives no hash (default:
      `$SNT_ZOO_ALLOW_UNVERIFIED`).
    timeout: Socket timeout in seconds.

  Returns:
    The path in the cache.

  Raises:
    PretrainedError: No published hash and unverified files not allowed;
      or a cached file that does not match its hash (it is kept: it may be
      the user's).
    WeightsUnavailable: Not cached, and offline or no network.
    zoo.download.DownloadError: The server sent a file that fails its hash
      (the partial file was deleted).
  """
  path = cache_path(weights)
  if weights.checksum is None and not _allow_unverified(allow_unverified):
    raise PretrainedError(
        f"{weights.filename}: its publisher gives no hash, so it cannot be "
        f"verified ({weights.source}). To use it anyway set "
        f"{ALLOW_UNVERIFIED_ENV}=1 (or pass allow_unverified=True).")
  if path.is_file():
    if weights.checksum:
      try:
        download.verify_checksum(path, weights.checksum)
      except download.DownloadError:
        raise PretrainedError(
            f"{path} does not match its published {weights.checksum}; it was "
            f"left in place. Delete it to download it again from "
            f"{weights.url}.") from None
    return path
  place = (f"download {weights.url} and place it at {path} "
           f"({weights.checksum or 'no published hash'})")
  if download.is_offline():
    raise WeightsUnavailable(
        f"{weights.filename} is not in the cache and ${download.OFFLINE_ENV} "
        f"is set: {place}.")
  try:
    return download.fetch_file([weights.url], path, weights.checksum,
                               timeout=timeout)
  except download.UnreachableError as e:
    raise WeightsUnavailable(
        f"{weights.filename} is not in the cache and cannot be downloaded "
        f"({str(e).splitlines()[0]}): {place}.") from None
  except download.DownloadError as e:
    raise download.DownloadError(
        f"{e} Only the partial download was deleted; {path} was not "
        "written.") from None


def weights_path(model: str, tag: str,
                 arguments: Optional[Mapping[str, Any]] = None,
                 allow_unverified: Optional[bool] = None) -> Path:
  """The local file of `model`'s weights `tag` (downloaded once)."""
  weights, _ = select(model, tag, arguments or {"num_classes": 1000})
  return fetch_weights(weights, allow_unverified)


def port_function(weights: WeightsFile):
  """The port function that copies `weights` into a model (lazy import)."""
  module = importlib.import_module(PORTS[weights.port])
  try:
    return getattr(module, weights.loader)
  except AttributeError:
    raise PretrainedError(
        f"{PORTS[weights.port]} has no {weights.loader}; this installation "
        f"cannot read {weights.filename}.") from None


def load_into(model: Any, weights: WeightsFile, load_top: bool,
              allow_unverified: Optional[bool] = None) -> Path:
  """Downloads (once) and copies `weights` into a built or unbuilt `model`.

  Returns:
    The file that was loaded.
  """
  path = fetch_weights(weights, allow_unverified)
  port = port_function(weights)
  if "load_top" in inspect.signature(port).parameters:
    port(model, str(path), load_top=load_top)
  else:
    port(model, str(path))
  return path
