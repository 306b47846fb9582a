"""Keep tokens out of everything a run leaves behind: logs, tracebacks, files.

Why a pattern *and* a registry: OPS tokens are JWTs, so a pattern catches them wherever they
appear, including ones this process never held (a token pasted in a `.env` echoed by a tool). The
registry catches what a pattern cannot: a token's fragments (its signature alone, a truncated
prefix) and any non-JWT secret the provider handles.

Why a log-record factory as well as a `logging.Filter`: a filter on a logger sees only records
logged on that very logger (not the ones propagating from children), and a filter on a handler is
lost when Locust's `setup_logging()` replaces the root handlers with `dictConfig` after the
locustfile was imported. The record factory runs for every record of every logger, whenever the
handlers were made, so `install_redaction()` can be called at import time and still hold.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import Any, TextIO

MASK = "[REDACTED]"

# A JWT's header is JSON, so its base64url starts with "eyJ" ('{"' + a letter). Matching from there
# with 8+ more characters catches whole tokens and any prefix long enough to matter (its first 20
# characters, say); nothing in ordinary text starts "eyJ" followed by 8 base64url characters.
_JWT_JSON = re.compile(r"eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}")
# Any other xxx.yyy.zzz of long base64url runs (a JWT whose header is not compact JSON). The long
# segments keep dotted names (ops_perf.auth.tokens, dev.ops.opre.acf.gov) untouched.
_JWT_GENERIC = re.compile(
    r"(?<![A-Za-z0-9_.-])[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])"
)
# `Bearer <token68>` (RFC 6750): keeps quotes and brackets around it intact. Any value after the
# usual spelling; after other spellings ("bearer", "BEARER") only a long one, so prose survives.
_BEARER = re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/=-]+|\b((?i:bearer))\s+[A-Za-z0-9._~+/=-]{16,}")
# key = value / "key": "value" for the names tokens travel under.
_KEYED = re.compile(
    r"""(?ix)
    \b((?:jwt_refresh_token|jwt_token|access_token|refresh_token|id_token)
    ['"]?\s*[:=]\s*['"]?)
    ([A-Za-z0-9._~+/=-]{16,})
    """
)

_MIN_SECRET = 16
_MAX_SECRETS = 256
_secrets: list[str] = []
_secrets_re: re.Pattern[str] | None = None
_lock = threading.Lock()


def register_secret(secret: str) -> None:
    """Mask this value (and its long fragments) from now on, whatever it looks like.

    Each dot-separated part of at least 16 characters is registered on its own, by its first 16
    characters, so a truncated token or a lone signature is masked too.
    """
    global _secrets_re
    if not secret:
        return
    parts = [p for p in secret.split(".") if len(p) >= _MIN_SECRET]
    if len(secret) >= _MIN_SECRET and "." not in secret:
        parts = [secret]
    prefixes = [p[:_MIN_SECRET] for p in parts]
    with _lock:
        changed = False
        for prefix in prefixes:
            if prefix not in _secrets:
                _secrets.append(prefix)
                changed = True
        if not changed:
            return
        del _secrets[:-_MAX_SECRETS]  # renewals add tokens forever; the oldest are long dead
        alternatives = "|".join(re.escape(p) for p in sorted(_secrets, key=len, reverse=True))
        _secrets_re = re.compile(f"(?:{alternatives})[A-Za-z0-9._~+/=-]*")


def forget_secrets() -> None:
    """Empty the registry (tests)."""
    global _secrets_re
    with _lock:
        _secrets.clear()
        _secrets_re = None


def redact(text: str) -> str:
    """`text` with every JWT-looking string, bearer credential and registered secret masked."""
    if not text:
        return text
    if not isinstance(text, str):
        text = str(text)
    text = _BEARER.sub(lambda m: f"{m.group(1) or m.group(2)} {MASK}", text)
    text = _KEYED.sub(lambda m: m.group(1) + MASK, text)
    text = _JWT_JSON.sub(MASK, text)
    text = _JWT_GENERIC.sub(MASK, text)
    pattern = _secrets_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return text


def redact_headers(headers: Any) -> dict[str, str]:
    """A copy of request/response headers fit for a log line: `Authorization` never shown."""
    out: dict[str, str] = {}
    for key, value in dict(headers or {}).items():
        if str(key).lower() in {"authorization", "cookie", "set-cookie", "proxy-authorization"}:
            out[str(key)] = MASK
        else:
            out[str(key)] = redact(str(value))
    return out


def _redact_record(record: logging.LogRecord) -> None:
    """Freeze the record's message and traceback into redacted text (idempotent)."""
    if getattr(record, "_ops_perf_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what we can, logging reports the error itself
        message = f"{record.msg} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        if not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        # Drop the live exception: a handler formatting it anew would bypass the redaction.
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._ops_perf_redacted = True


class RedactingFilter(logging.Filter):
    """A `logging.Filter` that masks tokens in a record's message, arguments and traceback.

    It never drops a record: it rewrites it. The message is formatted once (msg % args) and the
    arguments are cleared, so no formatter can put an unmasked argument back.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


class _RedactingStream:
    """A text stream that masks what is written through it (gevent's hub prints tracebacks here).

    The target is looked up at each write so a later swap of `sys.stderr` (pytest's capture,
    Locust's own redirection) is honoured.
    """

    _ops_perf_redacting = True

    def __init__(self, target: TextIO | None = None) -> None:
        self._target = target

    @property
    def target(self) -> TextIO:
        return self._target if self._target is not None else sys.stderr

    def write(self, text: str) -> int:
        self.target.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


LOCUST_LOGGERS = ("locust", "locust.main", "locust.runners", "locust.stats_logger", "locust.web", "locust.env")

_installed: dict[str, Any] = {}


def install_redaction(extra_loggers: Iterable[str] = LOCUST_LOGGERS) -> None:
    """Mask tokens in every log record, log handler and uncaught traceback of this process.

    Idempotent and safe to call again after logging was reconfigured (it then also covers the new
    handlers). Installs: a redacting log-record factory (covers every logger, whenever configured),
    a `RedactingFilter` on the root logger, on Locust's loggers and on all their handlers, a
    redacting `sys.excepthook`, and a redacting exception stream on gevent's hub when gevent is
    loaded.
    """
    with _lock:
        factory = logging.getLogRecordFactory()
        if not getattr(factory, "_ops_perf_redacting", False):
            previous = factory

            def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                _redact_record(record)
                return record

            redacting_factory._ops_perf_redacting = True  # type: ignore[attr-defined]
            redacting_factory._ops_perf_previous = previous  # type: ignore[attr-defined]
            logging.setLogRecordFactory(redacting_factory)

        for logger in [logging.getLogger(), *(logging.getLogger(name) for name in extra_loggers)]:
            for target in (logger, *logger.handlers):
                if not any(isinstance(f, RedactingFilter) for f in target.filters):
                    target.addFilter(RedactingFilter())

        if not getattr(sys.excepthook, "_ops_perf_redacting", False):
            previous_hook = sys.excepthook

            def redacting_excepthook(
                exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
            ) -> None:
                text = "".join(traceback.format_exception(exc_type, exc, tb))
                sys.stderr.write(redact(text))
                sys.stderr.flush()

            redacting_excepthook._ops_perf_redacting = True  # type: ignore[attr-defined]
            _installed["excepthook"] = previous_hook
            sys.excepthook = redacting_excepthook

        if "gevent" in sys.modules:
            import gevent

            hub = gevent.get_hub()
            stream = hub.exception_stream
            if stream and not getattr(stream, "_ops_perf_redacting", False):
                hub.exception_stream = _RedactingStream()
                _installed["hub"] = hub


def uninstall_redaction(extra_loggers: Iterable[str] = LOCUST_LOGGERS) -> None:
    """Undo `install_redaction()` (tests; a run keeps it installed to the end)."""
    with _lock:
        factory = logging.getLogRecordFactory()
        if getattr(factory, "_ops_perf_redacting", False):
            logging.setLogRecordFactory(factory._ops_perf_previous)  # type: ignore[attr-defined]
        for logger in [logging.getLogger(), *(logging.getLogger(name) for name in extra_loggers)]:
            for target in (logger, *logger.handlers):
                for f in [f for f in target.filters if isinstance(f, RedactingFilter)]:
                    target.removeFilter(f)
        if getattr(sys.excepthook, "_ops_perf_redacting", False) and "excepthook" in _installed:
            sys.excepthook = _installed.pop("excepthook")
        hub = _installed.pop("hub", None)
        if hub is not None and getattr(hub.exception_stream, "_ops_perf_redacting", False):
            del hub.exception_stream  # back to the class default (sys.stderr)
