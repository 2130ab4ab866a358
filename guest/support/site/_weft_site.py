"""Weft's start-up hook, run by site-packages/weft.pth before user code.

On a page without cross-origin isolation the host cannot answer a blocking read, so the runtime
fails stdin reads with ENOTSUP. The client then sets WEFT_NO_SYNC_IO to the explanation (what is
unavailable and how to enable it), and this hook makes reads of sys.stdin, and therefore
input(), raise an OSError carrying it instead of a bare "[Errno 58] Not supported".
"""
import errno
import os
import sys


class _UnavailableStdin:
    """sys.stdin whose reads explain why they cannot work; everything else is the real one."""

    def __init__(self, stream, reason):
        self._stream = stream
        self._reason = reason

    def __getattr__(self, name):
        return getattr(self._stream, name)

    def _unavailable(self, *args, **kwargs):
        raise OSError(errno.ENOTSUP, self._reason)

    read = readline = readlines = _unavailable

    def __iter__(self):
        return self

    def __next__(self):
        self._unavailable()


def _install():
    reason = os.environ.get("WEFT_NO_SYNC_IO")
    if reason and sys.stdin is not None:
        sys.stdin = _UnavailableStdin(sys.stdin, reason)


_install()
del _install
