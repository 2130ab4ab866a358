"""`import js`: the global scope of the interpreter's worker (see weft.JsProxy)."""
import sys

import weft

sys.modules[__name__] = weft.js
