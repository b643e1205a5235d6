"""zoo.install: install hints that match how snt-zoo was installed."""

import pathlib

from zoo import install


def test_a_checkout_gets_an_editable_install_of_itself():
  checkout = pathlib.Path(install.__file__).resolve().parents[1]
  assert install.pip_install("export") == (
      f"pip install -e '{checkout}[export]'")


def test_a_folder_install_and_a_wheel(tmp_path):
  site = tmp_path / "site-packages" / "zoo"
  site.mkdir(parents=True)
  from_folder = {"url": "file:///home/me/snt-zoo", "dir_info": {}}
  assert install.hint("export", site, from_folder) == (
      "pip install '/home/me/snt-zoo[export]'")
  editable = {"url": "file:///home/me/snt-zoo",
              "dir_info": {"editable": True}}
  assert install.hint("tfds", site, editable) == (
      "pip install -e '/home/me/snt-zoo[tfds]'")
  assert install.hint("export", site, None) == "pip install 'snt-zoo[export]'"
  from_index = {"url": "https://files.example/snt_zoo-0.1.0.whl",
                "archive_info": {}}
  assert install.hint("export", site, from_index) == (
      "pip install 'snt-zoo[export]'")
