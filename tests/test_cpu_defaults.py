"""zoo.cpu_defaults: oneDNN on where TensorFlow leaves it off, before it starts."""

import json
import pathlib
import subprocess
import sys

import pytest

from zoo import cpu_defaults

_ROOT = pathlib.Path(__file__).resolve().parents[1]


def _cpuinfo(model, flags):
  return "".join(f"processor\t: {n}\nmodel name\t: {model}\n"
                 f"flags\t\t: {' '.join(flags)}\n\n" for n in range(2))


_BASE = ("fpu", "sse2", "ssse3", "sse4_1", "sse4_2", "avx", "fma", "avx2")
_ZEN3 = _cpuinfo("AMD EPYC 7763 64-Core Processor", _BASE)
_HASWELL = _cpuinfo("Intel(R) Xeon(R) CPU E5-2680 v3 @ 2.50GHz", _BASE)
_SKYLAKE = _cpuinfo("Intel(R) Xeon(R) Gold 6140 CPU @ 2.30GHz",
                    _BASE + ("avx512f", "avx512bw", "avx512vl"))
_CASCADE_LAKE = _cpuinfo("Intel(R) Xeon(R) Platinum 8275CL CPU @ 3.00GHz",
                         _BASE + ("avx512f", "avx512_vnni"))
_SAPPHIRE_RAPIDS = _cpuinfo("Intel(R) Xeon(R) Platinum 8480+",
                            _BASE + ("avx512f", "avx512_bf16", "amx_bf16",
                                     "amx_tile", "amx_int8"))
_ALDER_LAKE = _cpuinfo("12th Gen Intel(R) Core(TM) i7-12700", _BASE +
                       ("avx_vnni",))
_GRAVITON = ("processor\t: 0\nBogoMIPS\t: 243.75\n"
             "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n")


@pytest.mark.parametrize("cpuinfo", [_ZEN3, _HASWELL, _SKYLAKE])
def test_x86_cpus_tensorflow_leaves_off_get_onednn(cpuinfo):
  choice = cpu_defaults.decide(cpuinfo, {})
  assert (choice.enabled, choice.set_by, choice.value) == (True, "zoo", "1")
  assert choice.state == "on" and "TensorFlow leaves oneDNN off" in (
      choice.reason)


@pytest.mark.parametrize("cpuinfo, flag", [
    (_CASCADE_LAKE, "avx512_vnni"), (_SAPPHIRE_RAPIDS, "avx512_bf16"),
    (_ALDER_LAKE, "avx_vnni")])
def test_cpus_tensorflow_turns_onednn_on_for_are_left_alone(cpuinfo, flag):
  choice = cpu_defaults.decide(cpuinfo, {})
  assert (choice.enabled, choice.set_by, choice.value) == (True,
                                                           "tensorflow", "")
  assert flag in choice.reason


@pytest.mark.parametrize("cpuinfo, system, machine", [
    (_GRAVITON, "linux", "aarch64"),  # ARM: TensorFlow's own choice.
    (_ZEN3, "win32", "AMD64"),  # No /proc/cpuinfo: not read off Linux.
    ("", "darwin", "x86_64"),
    ("", "linux", "x86_64"),  # Flags unknown.
])
def test_elsewhere_tensorflow_decides(cpuinfo, system, machine):
  choice = cpu_defaults.decide(cpuinfo, {}, system, machine)
  assert (choice.enabled, choice.set_by, choice.value) == (None,
                                                           "tensorflow", "")
  assert choice.state == "tensorflow's default"


@pytest.mark.parametrize("value, enabled", [("0", False), ("false", False),
                                            ("1", True), ("TRUE", True),
                                            ("maybe", None)])
def test_the_users_setting_always_wins(value, enabled):
  for cpuinfo in (_ZEN3, _SAPPHIRE_RAPIDS):
    choice = cpu_defaults.decide(cpuinfo, {"TF_ENABLE_ONEDNN_OPTS": value})
    assert (choice.enabled, choice.set_by, choice.value) == (enabled, "user",
                                                             "")
    assert f"TF_ENABLE_ONEDNN_OPTS={value} set by the user" in choice.reason
  environ = {"TF_ENABLE_ONEDNN_OPTS": value}
  cpu_defaults.apply(environ)
  assert environ == {"TF_ENABLE_ONEDNN_OPTS": value}


def test_apply_sets_the_variable_once_and_knows_it_set_it(monkeypatch):
  monkeypatch.setattr(cpu_defaults, "read_cpuinfo", lambda: _ZEN3)
  monkeypatch.setattr(cpu_defaults.platform, "machine", lambda: "x86_64")
  monkeypatch.setattr(cpu_defaults.sys, "platform", "linux")
  environ = {"PATH": "/bin"}
  assert cpu_defaults.apply(environ).set_by == "zoo"
  assert environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
  # A process it starts inherits the setting, and still knows whose it is.
  assert cpu_defaults.apply(dict(environ)).set_by == "zoo"
  assert cpu_defaults.without_zoo_choice(environ) == {"PATH": "/bin"}
  user = {"TF_ENABLE_ONEDNN_OPTS": "0", cpu_defaults.ZOO_SET_ENV: "1"}
  assert cpu_defaults.decide(_ZEN3, user).set_by == "user"
  assert cpu_defaults.without_zoo_choice(user) == {
      "TF_ENABLE_ONEDNN_OPTS": "0"}


def test_parse_cpuinfo_reads_the_first_processor():
  model, flags = cpu_defaults.parse_cpuinfo(_ZEN3)
  assert model == "AMD EPYC 7763 64-Core Processor"
  assert {"avx2", "fma"} <= flags and "avx512f" not in flags
  assert cpu_defaults.parse_cpuinfo(_GRAVITON) == ("", frozenset())


def _python(code):
  """Runs `code` with cpu_defaults seeing an AVX2-only Zen 3 on x86 Linux."""
  prelude = ("import json, os, sys\n"
             "from zoo import cli, cpu_defaults\n"
             f"cpu_defaults.read_cpuinfo = lambda: {_ZEN3!r}\n"
             "cpu_defaults.decide.__defaults__ = ('linux', 'x86_64')\n")
  result = subprocess.run(
      [sys.executable, "-c", prelude + code], cwd=_ROOT, capture_output=True,
      text=True, check=False,
      env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(_ROOT),
           "TF_CPP_MIN_LOG_LEVEL": "3"})
  assert result.returncode == 0, result.stderr
  return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("call", [
    "cli.main(['fetch', '--help'])",
    "cli.run_command('fetch', ['--help'], prog='tools/fetch_data.py')"])
def test_the_command_and_the_tools_decide_before_tensorflow(call):
  assert _python(
      "try:\n"
      f"  {call}\n"
      "except SystemExit:\n"
      "  pass\n"
      "print(json.dumps([os.environ.get('TF_ENABLE_ONEDNN_OPTS'),\n"
      "                  'tensorflow' in sys.modules]))\n") == ["1", False]


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="TensorFlow's oneDNN kernels: x86 Linux")
def test_tensorflow_runs_what_the_zoo_decided():
  state, set_by = _python(
      "cpu_defaults.apply()\n"
      "from zoo.training import precision\n"
      "choice = precision.onednn_in_use()\n"
      "print(json.dumps([choice.state, choice.set_by]))\n")
  assert (state, set_by) == ("on", "zoo")
