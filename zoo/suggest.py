"""The did-you-mean hint of every "unknown name" message.

    raise ValueError(f"Unknown model {name!r}.{suggest.did_you_mean(name, known)}")
"""

import difflib
from typing import Iterable


def did_you_mean(word: str, choices: Iterable[str], prefix: str = "",
                 count: int = 1) -> str:
  """`" Did you mean 'x'?"` for the choices closest to `word`, or "".

  Args:
    word: What was typed.
    choices: What it could have been.
    prefix: Put before each suggestion (a config section, `tfds:`).
    count: Suggestions at most.
  """
  close = difflib.get_close_matches(str(word), [str(c) for c in choices],
                                    n=count)
  if not close:
    return ""
  return f" Did you mean {' or '.join(repr(prefix + c) for c in close)}?"
