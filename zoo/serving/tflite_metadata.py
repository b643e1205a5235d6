"""TensorFlow Lite metadata, written and read without TensorFlow.

A zoo `.tflite` file carries two metadata entries and one associated file:

- `TFLITE_METADATA`: the standard `ModelMetadata` flatbuffer
  (tensorflow/tflite-support `metadata_schema.fbs`, file identifier `M001`)
  that Android Studio's model binding, the TFLite Task Library, MediaPipe
  and `tflite_support.metadata.MetadataDisplayer` read: the input as an
  image (colour space, size, its normalisation) and the output's labels as
  the associated file `labels.txt` (`TENSOR_AXIS_LABELS`).
- `METADATA_KEY` (`snt_zoo`): the export's own description, as JSON.
- `labels.txt`: one class name a line, in a zip archive appended to the
  flatbuffer, as the metadata specification packs associated files.

    model_bytes = tflite_metadata.model_metadata(info, "images", "probabilities")
    tflite_metadata.read_entries(path)      # {name: bytes}
    tflite_metadata.read_labels(path)       # ["0", "1", ...]

The serving graph takes uint8 pixels and normalises them itself, so the
standard normalisation entry is the identity (mean 0, std 1): a client
feeds the image as it is.
"""

import io
import json
import os
import pathlib
import zipfile
from typing import Any, Dict, List, Optional, Sequence

import flatbuffers
from flatbuffers import table as flatbuffer_table

from zoo.serving.artifact import METADATA_KEY

#: Name of the standard metadata entry (tflite-support's convention).
STANDARD_KEY = "TFLITE_METADATA"
#: The associated file holding the class names, one a line.
LABELS_FILE = "labels.txt"
#: `file_identifier` of `metadata_schema.fbs`.
FILE_IDENTIFIER = b"M001"
#: The oldest metadata parser that reads what is written here.
MIN_PARSER_VERSION = "1.0.0"

# metadata_schema.fbs enum values and union tags used here.
_TENSOR_AXIS_LABELS = 2
_COLOR_SPACE = {1: 2, 3: 1}  # channels -> GRAYSCALE, RGB
_IMAGE_PROPERTIES = 2        # ContentProperties union
_FEATURE_PROPERTIES = 1
_NORMALIZATION_OPTIONS = 1   # ProcessUnitOptions union


def _slot(index: int) -> int:
  """The vtable offset of a table's field number `index`."""
  return 4 + 2 * index


class _Writer:
  """`flatbuffers.Builder` calls for the few metadata tables written here."""

  def __init__(self):
    self.builder = flatbuffers.Builder(1024)

  def string(self, text: str) -> int:
    return self.builder.CreateString(text)

  def offsets(self, items: Sequence[int]) -> int:
    self.builder.StartVector(4, len(items), 4)
    for item in reversed(items):
      self.builder.PrependUOffsetTRelative(item)
    return self.builder.EndVector()

  def floats(self, values: Sequence[float]) -> int:
    self.builder.StartVector(4, len(values), 4)
    for value in reversed(values):
      self.builder.PrependFloat32(float(value))
    return self.builder.EndVector()

  def table(self, fields: Dict[int, Any]) -> int:
    """A table of `{field index: (kind, value)}`, kind in offset/byte/uint."""
    builder = self.builder
    builder.StartObject(max(fields, default=-1) + 1)
    for index, (kind, value) in sorted(fields.items()):
      if kind == "offset":
        builder.PrependUOffsetTRelativeSlot(index, value, 0)
      elif kind == "byte":
        builder.PrependInt8Slot(index, value, 0)
      else:
        builder.PrependUint32Slot(index, value, 0)
    return builder.EndObject()


def model_metadata(info: Dict[str, Any], input_name: str,
                   output_name: str) -> bytes:
  """The standard `ModelMetadata` flatbuffer of a classifier export.

  Args:
    info: The export's description (`class_names`, `image_size`,
      `channels`, `normalization`, `format`, `temperature`).
    input_name: The input tensor's name (uint8 `[1, H, W, C]`).
    output_name: The probabilities tensor's name (float32 `[1, K]`).
  """
  writer = _Writer()
  height, width = (int(s) for s in info["image_size"])
  channels = int(info.get("channels", 3))
  labels = writer.table({
      0: ("offset", writer.string(LABELS_FILE)),
      1: ("offset", writer.string("Class names, one a line, in output "
                                  "order.")),
      2: ("byte", _TENSOR_AXIS_LABELS)})
  size = writer.table({0: ("uint", width), 1: ("uint", height)})
  image = writer.table({0: ("byte", _COLOR_SPACE.get(channels, 0)),
                        1: ("offset", size)})
  input_content = writer.table({0: ("byte", _IMAGE_PROPERTIES),
                                1: ("offset", image)})
  normalization = writer.table({0: ("offset", writer.floats([0.0])),
                                1: ("offset", writer.floats([1.0]))})
  unit = writer.table({0: ("byte", _NORMALIZATION_OPTIONS),
                       1: ("offset", normalization)})
  inputs = writer.table({
      0: ("offset", writer.string(input_name)),
      1: ("offset", writer.string(
          f"uint8 pixels 0-255, {height}x{width}x{channels}; the model "
          f"normalises them itself ({info.get('normalization', 'unit')}).")),
      3: ("offset", input_content),
      4: ("offset", writer.offsets([unit]))})
  output_content = writer.table({0: ("byte", _FEATURE_PROPERTIES),
                                 1: ("offset", writer.table({}))})
  outputs = writer.table({
      0: ("offset", writer.string(output_name)),
      1: ("offset", writer.string(
          f"Probabilities of the {len(info['class_names'])} classes "
          f"(softmax, temperature {float(info.get('temperature', 1.0)):g}).")),
      3: ("offset", output_content),
      6: ("offset", writer.offsets([labels]))})
  subgraph = writer.table({
      2: ("offset", writer.offsets([inputs])),
      3: ("offset", writer.offsets([outputs]))})
  model = writer.table({
      0: ("offset", writer.string(str(info.get("model_name") or
                                      "snt-zoo image classifier"))),
      1: ("offset", writer.string(
          f"Image classifier ({info.get('format', 'tflite')}) exported by "
          "snt-zoo.")),
      3: ("offset", writer.offsets([subgraph])),
      7: ("offset", writer.string(MIN_PARSER_VERSION))})
  writer.builder.Finish(model, file_identifier=FILE_IDENTIFIER)
  return bytes(writer.builder.Output())


def labels_file(class_names: Sequence[str]) -> bytes:
  """`labels.txt`: one class name a line."""
  return "".join(f"{name}\n" for name in class_names).encode()


def append_associated_files(model: bytes, files: Dict[str, bytes]) -> bytes:
  """The model followed by a zip of `files` (stored, not compressed)."""
  stream = io.BytesIO(model)
  stream.seek(0, io.SEEK_END)
  with zipfile.ZipFile(stream, "a", zipfile.ZIP_STORED) as archive:
    for name, data in files.items():
      archive.writestr(name, data)
  return stream.getvalue()


# Reading ------------------------------------------------------------------

def _root(data: bytes) -> flatbuffer_table.Table:
  position = flatbuffers.encode.Get(flatbuffers.packer.uoffset, data, 0)
  return flatbuffer_table.Table(bytearray(data), position)


def _tables(parent: flatbuffer_table.Table, index: int
            ) -> List[flatbuffer_table.Table]:
  offset = parent.Offset(_slot(index))
  if not offset:
    return []
  start = parent.Vector(offset)
  return [flatbuffer_table.Table(parent.Bytes,
                                 parent.Indirect(start + 4 * i))
          for i in range(parent.VectorLen(offset))]


def _string(parent: flatbuffer_table.Table, index: int) -> Optional[str]:
  offset = parent.Offset(_slot(index))
  return parent.String(offset + parent.Pos).decode() if offset else None


def _table(parent: flatbuffer_table.Table, index: int
           ) -> Optional[flatbuffer_table.Table]:
  offset = parent.Offset(_slot(index))
  if not offset:
    return None
  return flatbuffer_table.Table(parent.Bytes, parent.Indirect(
      offset + parent.Pos))


def read_entries(path: os.PathLike) -> Dict[str, bytes]:
  """`{name: data}` of a `.tflite` file's metadata entries.

  Reads the TFLite schema's `Model.metadata` (field 6: `Metadata` tables of
  a name and a buffer index) and `Model.buffers` (field 4).
  """
  data = pathlib.Path(path).read_bytes()
  model = _root(data)
  buffers = _tables(model, 4)
  entries = {}
  for entry in _tables(model, 6):
    name = _string(entry, 0)
    index_offset = entry.Offset(_slot(1))
    index = entry.Get(flatbuffers.number_types.Uint32Flags,
                      index_offset + entry.Pos) if index_offset else 0
    buffer = buffers[index]
    offset = buffer.Offset(_slot(0))
    if offset:
      start = buffer.Vector(offset)
      entries[name] = bytes(data[start:start + buffer.VectorLen(offset)])
    else:
      entries[name] = b""
  return entries


def read_info(path: os.PathLike) -> Dict[str, Any]:
  """The export's own description embedded in a `.tflite` file ({} if none)."""
  embedded = read_entries(path).get(METADATA_KEY)
  return json.loads(embedded) if embedded else {}


def read_standard(path: os.PathLike) -> Dict[str, Any]:
  """The parts of the standard metadata written here, as a dict.

  Returns:
    `{"name", "min_parser_version", "inputs": [{"name", "image_size",
    "mean", "std"}], "outputs": [{"name", "associated_files"}]}`, or {}
    when the file has no `TFLITE_METADATA`.
  """
  data = read_entries(path).get(STANDARD_KEY)
  if not data:
    return {}
  if data[4:8] != FILE_IDENTIFIER:
    raise ValueError(f"{path}: {STANDARD_KEY} is not a ModelMetadata "
                     "flatbuffer.")
  model = _root(data)
  result = {"name": _string(model, 0),
            "min_parser_version": _string(model, 7),
            "inputs": [], "outputs": []}
  for subgraph in _tables(model, 3)[:1]:
    for tensor in _tables(subgraph, 2):
      described = {"name": _string(tensor, 0)}
      content = _table(tensor, 3)
      image = content and _table(content, 1)
      size = image and _table(image, 1)
      if size is not None:
        described["image_size"] = [
            size.GetSlot(_slot(1), 0, flatbuffers.number_types.Uint32Flags),
            size.GetSlot(_slot(0), 0, flatbuffers.number_types.Uint32Flags)]
      for unit in _tables(tensor, 4):
        options = _table(unit, 1)
        for key, index in (("mean", 0), ("std", 1)):
          offset = options.Offset(_slot(index)) if options else 0
          if offset:
            described[key] = [
                options.Get(flatbuffers.number_types.Float32Flags,
                            options.Vector(offset) + 4 * i)
                for i in range(options.VectorLen(offset))]
      result["inputs"].append(described)
    for tensor in _tables(subgraph, 3):
      result["outputs"].append({
          "name": _string(tensor, 0),
          "associated_files": [
              {"name": _string(f, 0),
               "type": f.GetSlot(_slot(2), 0,
                                 flatbuffers.number_types.Int8Flags)}
              for f in _tables(tensor, 6)]})
  return result


def read_associated_file(path: os.PathLike, name: str) -> bytes:
  """An associated file packed in the zip appended to a `.tflite` file."""
  with zipfile.ZipFile(pathlib.Path(path)) as archive:
    return archive.read(name)


def read_labels(path: os.PathLike) -> List[str]:
  """The class names the standard metadata attaches to the output."""
  return read_associated_file(path, LABELS_FILE).decode().splitlines()


def check_associated_files(path: os.PathLike) -> None:
  """Raises ValueError unless every associated file the standard metadata
  names is in the zip appended to the file (a file cut short loses them)."""
  for output in read_standard(path).get("outputs", ()):
    for associated in output["associated_files"]:
      try:
        read_associated_file(path, associated["name"])
      except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise ValueError(
            f"its associated file {associated['name']} is missing or cut "
            f"short ({e})") from None
