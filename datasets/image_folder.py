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
(but a root with one class only is). Linked folders are followed, each real
folder once in the whole tree: a folder already read (a link loop, a link
back to ROOT, a class folder linking to another class, two links to one
folder) is left out and reported, so no image gets two labels. Links that
lead outside ROOT are left out and reported unless `outside_links=True`;
FIFOs, devices and sockets are reported without being opened, and names
that are not valid UTF-8 are reported (escaped) for renaming.
Files that do not decode are handled by `on_corrupt` (see
`image_files.py`, whose pipeline this dataset uses).
"""

import logging
import os
import stat
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

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


def shown_name(name: str) -> str:
  """A file name as printable text (bytes not valid UTF-8 escaped)."""
  return os.fsencode(name).decode("utf-8", "backslashreplace")


def _is_utf8(name: str) -> bool:
  try:
    name.encode("utf-8")
  except UnicodeEncodeError:
    return False
  return True


class _Tree:
  """What the walk of one data directory has read, across all its folders."""

  def __init__(self, root: Path, outside_links: bool = False):
    self.root = os.path.realpath(root)
    self.outside_links = outside_links
    self.seen = {self.root}
    #: Real path of each class folder -> the class folder's own path.
    self.owners: Dict[str, str] = {}

  def is_inside(self, real: str) -> bool:
    return real == self.root or real.startswith(self.root.rstrip(os.sep)
                                                + os.sep)

  def allowed(self, real: str) -> bool:
    return self.outside_links or self.is_inside(real)


class _Listing:
  """What was found under one folder of class folders, and what was left out."""

  def __init__(self):
    self.classes: Dict[str, List[Path]] = {}
    self.hidden: List[str] = []
    self.other_files: List[str] = []
    self.loose_files: List[str] = []
    self.repeated: List[str] = []
    self.outside: List[str] = []
    self.special: List[str] = []
    self.bad_names: List[str] = []

  def notes(self, where: str) -> List[str]:
    extensions = ", ".join(image_files.IMAGE_EXTENSIONS)
    what_left_out = (
        (self.hidden, "hidden file(s) or folder(s) ignored in {where}"),
        (self.other_files, f"file(s) without an image extension "
                           f"({extensions}) ignored in {{where}}"),
        (self.loose_files, "file(s) outside class folders ignored in "
                           "{where}"),
        (self.repeated, "linked folder(s) already read (a symbolic link "
                        "loop, a link back up, or a second link to one "
                        "folder) ignored in {where}, so no image has two "
                        "labels"),
        (self.outside, "symbolic link(s) leading outside the data directory "
                       "ignored in {where} (set data.outside_links=true to "
                       "read them)"),
        (self.special, "entry(ies) that are not regular files (FIFOs, "
                       "devices, sockets) ignored, unopened, in {where}"),
        (self.bad_names, "name(s) that are not valid UTF-8 ignored in "
                         "{where} (rename them)"),
    )
    return [f"{len(names)} {text.format(where=where)}: {_examples(names)}"
            for names, text in what_left_out if names]


def list_class_folders(base: Path, tree: Optional[_Tree] = None) -> _Listing:
  """Lists the images of each class folder directly under `base`.

  Args:
    base: a folder holding one folder per class.
    tree: the walk of the whole data directory this folder belongs to
      (default: `base` is the data directory).

  Returns:
    A listing: class name -> sorted image paths (empty for a class folder
    without images), and the entries left out.
  """
  tree = tree or _Tree(base)
  tree.seen.add(os.path.realpath(base))
  listing = _Listing()
  entries = sorted(os.scandir(base), key=lambda e: e.name)
  # Each real class folder belongs to the first class folder that is it,
  # so a link from one class into another never relabels its images.
  for entry in entries:
    if (not entry.name.startswith(".") and _is_utf8(entry.name) and
        entry.is_dir()):
      tree.owners.setdefault(os.path.realpath(entry.path), entry.path)
  for entry in entries:
    if entry.name.startswith("."):
      listing.hidden.append(shown_name(entry.name))
    elif not _is_utf8(entry.name):
      listing.bad_names.append(shown_name(entry.name))
    elif entry.is_dir():
      listing.classes[entry.name] = _images_below(Path(entry.path), listing,
                                                  base, tree)
    else:
      listing.loose_files.append(entry.name)
  return listing


def _images_below(folder: Path, listing: _Listing, base: Path,
                  tree: _Tree) -> List[Path]:
  """Image files in `folder` and its sub-folders, sorted by path.

  Symbolic links to folders are followed, but a real folder already walked
  anywhere in the tree is not walked again, and one outside the data
  directory only with `outside_links`.
  """
  images = []
  for directory, folders, files in os.walk(folder, followlinks=True):
    relative = Path(directory).relative_to(base)
    real = os.path.realpath(directory)
    owner = tree.owners.get(real)
    if owner is not None and owner != str(folder):
      listing.repeated.append(shown_name(str(relative)))
      folders[:] = []
      continue
    if not tree.allowed(real):
      listing.outside.append(shown_name(str(relative)))
      folders[:] = []
      continue
    if real in tree.seen:
      listing.repeated.append(shown_name(str(relative)))
      folders[:] = []
      continue
    tree.seen.add(real)
    kept = []
    for name in sorted(folders):
      if name.startswith("."):
        listing.hidden.append(shown_name(str(relative / name)))
      elif not _is_utf8(name):
        listing.bad_names.append(shown_name(str(relative / name)))
      else:
        kept.append(name)
    folders[:] = kept
    for name in sorted(files):
      path = Path(directory) / name
      if name.startswith("."):
        listing.hidden.append(shown_name(str(relative / name)))
      elif not _is_utf8(name):
        listing.bad_names.append(shown_name(str(relative / name)))
      elif not name.lower().endswith(image_files.IMAGE_EXTENSIONS):
        listing.other_files.append(str(relative / name))
      elif not path.exists():
        images.append(path)  # A broken link: the scan names it.
      elif path.is_symlink() and not tree.allowed(os.path.realpath(path)):
        listing.outside.append(str(relative / name))
      elif not stat.S_ISREG(path.stat().st_mode):
        listing.special.append(str(relative / name))
      else:
        images.append(path)
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


def _list(root: Path, outside_links: bool = False
          ) -> Tuple[Dict[str, Dict[str, List[Path]]], List[str]]:
  """split folder ('' for none) -> class -> images, and notes."""
  split_folders = _split_layout(root)
  notes = []
  tree = _Tree(root, outside_links)
  if not split_folders:
    listing = list_class_folders(root, tree)
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
    real = os.path.realpath(root / split)
    if not tree.allowed(real):
      raise DatasetError(
          f"{root / split} is a link leading outside {root} (to {real}); "
          "move the folder into the data directory, or set "
          "data.outside_links=true to read it there.")
    tree.seen.add(real)
  for split in split_folders:
    listing = list_class_folders(root / split, tree)
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
  found, notes = _list(root, bool(options.get("outside_links")))
  class_names, class_notes = _class_names(found, root)
  notes.extend(class_notes)
  label_of = {class_name: i for i, class_name in enumerate(class_names)}
  listed = [(split, path, label_of[class_name])
            for split, classes in found.items()
            for class_name, paths in classes.items() if class_name in label_of
            for path in paths]
  kept, scan_notes = image_files.screen(
      name, [path for _, path, _ in listed], root, options["on_corrupt"],
      cache_name="image_folder", decoder=options["decoder"])
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
                              empty_fix=empty_fix,
                              on_corrupt=options["on_corrupt"],
                              decoder=options["decoder"])
