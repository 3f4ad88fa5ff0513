"""Owns what the service writes to its logs about a request: one line per request that a URL
cannot break or forge, without references (a reference is the key to someone's answer) and
without client addresses (personal data; the service keys them by a hash everywhere else).

`safe_path` is for our own log lines; `GunicornLogger` is gunicorn's logger with the same rules
for its access log and for its "Invalid request from ip=..." warnings (deploy/gunicorn.conf.py
sets it as `logger_class`)."""
from __future__ import annotations

import re
from urllib.parse import unquote

from gunicorn.glogging import Logger

from . import references

# C0 and C1 controls (CR and LF above all), DEL, and the Unicode line and paragraph separators:
# written as \xNN / \uNNNN so that one request is always one log line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_GUNICORN_ADDRESS = re.compile(r"ip=\S*?(?=: )")
_PATH_SEGMENT = re.compile(r"(?<=/)[^/\s?#&=]{11,64}|(?<=reference=)[^&\s]+")
REFERENCE_PLACEHOLDER = "<reference>"


def _escape(match: re.Match) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(value: str) -> str:
    """`value` with every control character and line break written out visibly."""
    return _CONTROL.sub(_escape, value)


def _segment(segment: str) -> str:
    # References are 11 symbols (13 with dashes); typed forms may have more separators.
    if 11 <= len(segment) <= 64 and references.normalise(unquote(segment)):
        return REFERENCE_PLACEHOLDER
    return segment


def safe_path(path: str | None) -> str:
    """A URL path for a log line: one line, each path segment that is a reference replaced."""
    if not path:
        return "-"
    return one_line("/".join(_segment(s) for s in path.split("/")))


class GunicornLogger(Logger):
    """gunicorn's logger; request paths, query strings and headers in the access log go through
    `safe_path`/`one_line`, the client address atom is never filled in, and the address in
    gunicorn's own warnings about malformed requests is left out."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["h"] = "-"
        atoms["U"] = safe_path(atoms.get("U"))
        request_line = f"{atoms.get('m')} {safe_path(atoms.get('U'))} {atoms.get('H')}"
        atoms["r"] = one_line(request_line)
        for key in ("q", "f", "a", "m", "H"):
            if isinstance(atoms.get(key), str):
                atoms[key] = one_line(atoms[key])
        return atoms

    def _clean(self, msg, args) -> str:
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join([str(msg), *map(str, args)])
        text = _PATH_SEGMENT.sub(lambda m: _segment(m.group(0)), text)  # "Error handling request <uri>"
        return one_line(_GUNICORN_ADDRESS.sub("ip=-", text))

    def warning(self, msg, *args, **kwargs):
        self.error_log.warning(self._clean(msg, args), **kwargs)

    def info(self, msg, *args, **kwargs):
        self.error_log.info(self._clean(msg, args), **kwargs)

    def debug(self, msg, *args, **kwargs):
        self.error_log.debug(self._clean(msg, args), **kwargs)

    def error(self, msg, *args, **kwargs):
        self.error_log.error(self._clean(msg, args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        # The traceback itself (exc_info) is added by the formatter, on its own lines.
        self.error_log.exception(self._clean(msg, args), **kwargs)
