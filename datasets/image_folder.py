"""Any image classification data laid out as one folder per class.

Two layouts of `data_dir` (ROOT):

    ROOT/<class>/*.jpg                  a seeded stratified split is made:
                                        `split_ratio` of each class for
                                        train, the rest for test, and
                                        `validation_fraction` of train for
                                        validation
    ROOT/train/<class>/*.jpg            the split folders are the splits
    ROOT/validation/<class>/*.jpg       (validation and test are optional;
    ROOT/test/<class>/*.jpg             without validation/,
                                        `validation_fraction` carves one)

Images are `.jpg`, `.jpeg`, `.png`, `.bmp` and `.gif` files (any case), in
the class folder or below it. Class names are the class folders' names,
sorted; label i is the i-th name. Hidden files and folders (a leading dot),
other files, files outside class folders and class folders without images
are left out and reported in `info.notes` and the log, never an error
(but a root with one class only is). Linked folders are followed; one
already read within a class (a link loop) is left out and reported.
Files that do not decode are handled by `on_corrupt` (see
`image_files.py`, whose pipeline this dataset uses).
"""

import logging
import os
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from . import availability
from . import dataset_info
from . import image_files
from . import splits as splits_lib
from .errors import DatasetError
from .errors import SplitError

_LOG = logging.getLogger(__name__)

DEFAULT_IMAGE_SIZE = 224
SPLIT_FOLDERS = ("train", "validation", "test")
_LAYOUT = availability.IMAGE_FOLDER_LAYOUT


def _examples(names: Sequence[str], limit: int = 3) -> str:
  shown = ", ".join(str(n) for n in names[:limit])
  return shown + (", ..." if len(names) > limit else "")


class _Listing:
  """What was found under one folder of class folders, and what was left out."""

  def __init__(self):
    self.classes: Dict[str, List[Path]] = {}
    self.hidden: List[str] = []
    self.other_files: List[str] = []
    self.loose_files: List[str] = []
    self.repeated: List[str] = []

  def notes(self, where: str) -> List[str]:
    notes = []
    if self.hidden:
      notes.append(f"{len(self.hidden)} hidden file(s) or folder(s) ignored "
                   f"in {where}: {_examples(self.hidden)}")
    if self.other_files:
      notes.append(f"{len(self.other_files)} file(s) without an image "
                   f"extension ({', '.join(image_files.IMAGE_EXTENSIONS)}) "
                   f"ignored in {where}: {_examples(self.other_files)}")
    if self.loose_files:
      notes.append(f"{len(self.loose_files)} file(s) outside class folders "
                   f"ignored in {where}: {_examples(self.loose_files)}")
    if self.repeated:
      notes.append(f"{len(self.repeated)} linked folder(s) already read "
                   f"(a symbolic link loop or a second link) ignored in "
                   f"{where}: {_examples(self.repeated)}")
    return notes


def list_class_folders(base: Path) -> _Listing:
  """Lists the images of each class folder directly under `base`.

  Args:
    base: a folder holding one folder per class.

  Returns:
    A listing: class name -> sorted image paths (empty for a class folder
    without images), and the entries left out.
  """
  listing = _Listing()
  for entry in sorted(os.scandir(base), key=lambda e: e.name):
    if entry.name.startswith("."):
      listing.hidden.append(entry.name)
    elif entry.is_dir():
      listing.classes[entry.name] = _images_below(Path(entry.path), listing,
                                                  base)
    else:
      listing.loose_files.append(entry.name)
  return listing


def _images_below(folder: Path, listing: _Listing, base: Path) -> List[Path]:
  """Image files in `folder` and its sub-folders, sorted by path.

  Symbolic links to folders are followed, but a folder already walked (a
  link loop, or two links to one folder) is walked once.
  """
  images = []
  seen = set()
  for directory, folders, files in os.walk(folder, followlinks=True):
    relative = Path(directory).relative_to(base)
    real = os.path.realpath(directory)
    if real in seen:
      listing.repeated.append(str(relative))
      folders[:] = []
      continue
    seen.add(real)
    listing.hidden.extend(str(relative / f) for f in folders
                          if f.startswith("."))
    folders[:] = sorted(f for f in folders if not f.startswith("."))
    for name in sorted(files):
      if name.startswith("."):
        listing.hidden.append(str(relative / name))
      elif name.lower().endswith(image_files.IMAGE_EXTENSIONS):
        images.append(Path(directory) / name)
      else:
        listing.other_files.append(str(relative / name))
  return sorted(images)


def _split_layout(root: Path) -> List[str]:
  """The split folders of ROOT ([] for the class-folder layout)."""
  present = [s for s in SPLIT_FOLDERS if (root / s).is_dir()]
  if present and "train" not in present:
    raise DatasetError(
        f"{root} has {'/, '.join(present)}/ but no train/. Add train/<class>/ "
        f"(layout: {_LAYOUT}), or rename the folders if they are classes.")
  return present


def _resolve_root(data_dir) -> Path:
  return availability.image_folder_root(data_dir)


def _list(root: Path) -> Tuple[Dict[str, Dict[str, List[Path]]], List[str]]:
  """split folder ('' for none) -> class -> images, and notes."""
  split_folders = _split_layout(root)
  notes = []
  if not split_folders:
    listing = list_class_folders(root)
    notes.extend(listing.notes(str(root)))
    return {"": listing.classes}, notes
  found = {}
  top = _Listing()
  ignored = []
  for entry in sorted(os.scandir(root), key=lambda e: e.name):
    if entry.name.startswith("."):
      top.hidden.append(entry.name)
    elif not entry.is_dir():
      top.loose_files.append(entry.name)
    elif entry.name not in SPLIT_FOLDERS:
      ignored.append(entry.name)
  if ignored:
    notes.append(f"folder(s) other than {'/, '.join(SPLIT_FOLDERS)}/ ignored "
                 f"in {root}: {_examples(ignored)}")
  notes.extend(top.notes(str(root)))
  for split in split_folders:
    listing = list_class_folders(root / split)
    notes.extend(listing.notes(str(root / split)))
    found[split] = listing.classes
  return found, notes


def _class_names(found: Dict[str, Dict[str, List[Path]]], root: Path
                 ) -> Tuple[List[str], List[str]]:
  """Sorted names of the class folders that hold images, and notes."""
  folders = sorted({name for classes in found.values() for name in classes})
  names = [name for name in folders
           if any(classes.get(name) for classes in found.values())]
  notes = []
  empty = [name for name in folders if name not in names]
  if empty:
    notes.append(f"{len(empty)} class folder(s) without images left out of "
                 f"the classes: {_examples(empty)}")
  for split, classes in found.items():
    missing = [name for name in names if not classes.get(name)]
    if split and missing:
      notes.append(f"{split}/ has no images of {len(missing)} class(es): "
                   f"{_examples(missing)}")
  if not names:
    raise DatasetError(
        f"{root}: no images in class folders (expected {_LAYOUT}; images "
        f"end in {', '.join(image_files.IMAGE_EXTENSIONS)}).")
  if len(names) == 1:
    raise DatasetError(
        f"{root}: only one class folder with images ({names[0]!r}); a "
        "classifier needs two or more. Add a folder per class (expected "
        f"{_LAYOUT}).")
  return names, notes


def prepare(name: str, options: Dict[str, Any]) -> dataset_info.Prepared:
  """Lists, scans and splits a folder of class folders for `datasets.load`.

  Args:
    name: "image_folder".
    options: the validated load/info options.

  Returns:
    A `Prepared` of the shared image-file pipeline.
  """
  size = dataset_info.parse_image_size(
      options["image_size"], (DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE))
  root = _resolve_root(options["data_dir"])
  found, notes = _list(root)
  class_names, class_notes = _class_names(found, root)
  notes.extend(class_notes)
  label_of = {class_name: i for i, class_name in enumerate(class_names)}
  listed = [(split, path, label_of[class_name])
            for split, classes in found.items()
            for class_name, paths in classes.items() if class_name in label_of
            for path in paths]
  kept, scan_notes = image_files.screen(
      name, [path for _, path, _ in listed], root, options["on_corrupt"],
      cache_name="image_folder")
  notes.extend(scan_notes)
  kept = set(kept)
  listed = [item for item in listed if item[1] in kept]
  paths = np.asarray([str(path) for _, path, _ in listed], dtype=object)
  labels = np.asarray([label for _, _, label in listed], np.int32)
  folders = np.asarray([split for split, _, _ in listed], dtype=object)

  if "" in found:
    train, test = splits_lib.stratified_split(labels,
                                              1.0 - options["split_ratio"],
                                              options["seed"])
    indices = {"train": train, "test": test}
    how = (f"class folders; seeded stratified split (ratio "
           f"{options['split_ratio']}, seed {options['seed']})")
  else:
    if options["validation_fraction"] and "validation" in found:
      raise SplitError(
          f"image_folder: {root} has a validation/ folder; leave "
          "validation_fraction at 0 (or remove validation/ to carve one out "
          "of train/).")
    indices = {split: np.flatnonzero(folders == split) for split in found}
    how = f"split folders {', '.join(s + '/' for s in found)}"
  if options["validation_fraction"]:
    indices = dataset_info.carve_validation(
        indices, labels, options["validation_fraction"], options["seed"] + 1)
    how += (f"; validation_fraction {options['validation_fraction']} of "
            "train held out")
  for note in notes:
    _LOG.warning("image_folder: %s", note)
  files = {split: ([Path(p) for p in paths[chosen]], labels[chosen])
           for split, chosen in indices.items()}
  if "" in found:
    empty_fix = (f"A class needs 2 or more images to reach two splits: add "
                 f"images, or change data.split_ratio (now "
                 f"{options['split_ratio']}) or data.validation_fraction "
                 f"(now {options['validation_fraction']}).")
  else:
    empty_fix = (f"Add images to {root}/<split>/<class>/, or evaluate "
                 "another split (data.eval_split).")
  return image_files.prepared(name, files, class_names, size,
                              f"directory {root.absolute()} ({how})", notes,
                              empty_fix=empty_fix)
