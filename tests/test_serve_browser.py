"""The page of `snt-zoo serve` in a real browser (Debian's chromium and
chromium-driver, driven by Selenium): upload a test digit, draw a stroke,
read the answers from the page.

    SNT_ZOO_SCREENSHOT=docs/images/serve.png pytest tests/test_serve_browser.py

saves the page as the README shows it.
"""

import json
import os
import pathlib
import shutil
import urllib.request

from PIL import Image
import pytest

pytest.importorskip("uvicorn")  # zoo.serve needs the serve extra.
from zoo import run_serving  # pylint: disable=g-import-not-at-top
from zoo.serve import load_test  # pylint: disable=g-import-not-at-top
from zoo.training.run_dir import RunDir  # pylint: disable=g-import-not-at-top

SCREENSHOT_ENV = "SNT_ZOO_SCREENSHOT"


def _browser():
  """`(chromium, chromedriver)` paths, or a reason to skip."""
  try:
    import selenium  # pylint: disable=g-import-not-at-top,unused-import
  except ImportError:
    return None, "selenium is not installed (pip install '.[test]')"
  browser = next((shutil.which(name) for name in
                  ("chromium", "chromium-browser", "google-chrome")
                  if shutil.which(name)), None)
  driver = shutil.which("chromedriver")
  if not browser or not driver:
    return None, ("no chromium and chromedriver on PATH (apt-get install "
                  "chromium chromium-driver)")
  return (browser, driver), None


_FOUND, _SKIP_REASON = _browser()
pytestmark = pytest.mark.skipif(_FOUND is None, reason=_SKIP_REASON or "")


@pytest.fixture(scope="module")
def server(exported_run_dir):
  port = load_test.free_port()
  process = load_test.start_server(exported_run_dir, port, name="mnist")
  try:
    load_test.wait_ready(process, port)
    yield f"http://127.0.0.1:{port}"
  finally:
    load_test.stop_server(process)


@pytest.fixture(scope="module")
def browser():
  from selenium import webdriver  # pylint: disable=g-import-not-at-top
  from selenium.webdriver.chrome.service import Service  # pylint: disable=g-import-not-at-top
  binary, driver_path = _FOUND
  options = webdriver.ChromeOptions()
  options.binary_location = binary
  for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                   "--disable-dev-shm-usage", "--window-size=1100,1500"):
    options.add_argument(argument)
  driver = webdriver.Chrome(service=Service(driver_path), options=options)
  driver.set_page_load_timeout(60)
  try:
    yield driver
  finally:
    driver.quit()


def _wait(driver, condition, timeout=60):
  from selenium.webdriver.support.ui import WebDriverWait  # pylint: disable=g-import-not-at-top
  return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def _top_class(driver):
  return driver.find_element("id", "top-class").get_attribute("data-class")


def _api_class(url, path):
  image = Image.open(path)
  body = json.dumps({"instances": [[[[v] for v in row] for row in
                                    _rows(image)]]}).encode()
  request = urllib.request.Request(
      f"{url}/v1/models/mnist:predict", data=body,
      headers={"Content-Type": "application/json"})
  with urllib.request.urlopen(request, timeout=60) as response:
    return json.loads(response.read())["predictions"][0]["class_name"]


def _rows(image):
  width, height = image.size
  pixels = list(image.getdata())
  return [pixels[y * width:(y + 1) * width] for y in range(height)]


def test_upload_and_draw_a_digit(server, browser, exported_run_dir,
                                 tmp_path):
  from selenium.webdriver.common.action_chains import ActionChains  # pylint: disable=g-import-not-at-top
  images, _ = run_serving.split_as_uint8(RunDir(exported_run_dir), "test",
                                         max_examples=1)
  digit = tmp_path / "digit.png"
  Image.fromarray(images[0][..., 0]).save(digit)
  browser.get(server + "/")
  _wait(browser, lambda d: d.find_element("tag name", "body").get_attribute(
      "data-ready") == "true")
  assert browser.find_element("id", "draw").is_displayed()  # 28x28 grey.

  browser.find_element("id", "file").send_keys(str(digit))
  expected = _api_class(server, digit)
  _wait(browser, lambda d: _top_class(d) == expected)
  _wait(browser, lambda d: len(d.find_elements("css selector",
                                               "#layers img")) == 2)

  canvas = browser.find_element("id", "canvas")
  browser.execute_script("arguments[0].scrollIntoView();", canvas)
  browser.find_element("id", "clear").click()
  assert _top_class(browser) == ""
  ActionChains(browser).move_to_element_with_offset(canvas, -10, -90) \
      .click_and_hold().move_by_offset(25, -15).move_by_offset(0, 95) \
      .move_by_offset(0, 75).release().perform()
  class_names = run_serving.load(exported_run_dir / "export").class_names
  _wait(browser, lambda d: _top_class(d) in class_names)
  bars = browser.find_elements("css selector", "#bars .bar")
  assert len(bars) == 5
  _wait(browser, lambda d: d.execute_script(
      "return [...document.querySelectorAll('#pictures img')]"
      ".every(i => i.complete && i.naturalWidth > 0);"))
  screenshot = os.environ.get(SCREENSHOT_ENV)
  if screenshot:
    browser.execute_script("window.scrollTo(0, 0);")
    pathlib.Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(screenshot)

  browser.set_window_size(390, 844)  # A phone.
  overflow = browser.execute_script(
      "return document.documentElement.scrollWidth - window.innerWidth;")
  assert overflow <= 0
