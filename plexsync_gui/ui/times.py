"""Times as people read them. The store hands out epoch seconds; the desktop app shows them in local time, and this
is the one place that turns one into the other.

`time.localtime` applies the offset the local zone has on that very date (summer or winter time). Reading the
store's ISO UTC text back with the zone's fixed standard offset (`time.timezone`), as the app once did, showed every
summer time an hour early.
"""

from __future__ import annotations

import time

DATE_TIME = "%Y-%m-%d %H:%M:%S"
CLOCK = "%H:%M"


def local_time(epoch: float | None, pattern: str = DATE_TIME) -> str:
    """`epoch` in the local zone as `pattern` writes it; "" for no time."""
    if epoch is None:
        return ""
    return time.strftime(pattern, time.localtime(epoch))


def relative_time(epoch: float | None, now: float | None = None) -> str:
    """`epoch` in words from `now`, as people say it: "just now", "2 min ago", "in 30 s", "3 h ago", "yesterday";
    beyond a week the local date. The exact time goes in a tooltip (`local_time`)."""
    if epoch is None:
        return ""
    now = time.time() if now is None else now
    seconds = round(epoch - now)
    if abs(seconds) < 10:
        return "just now" if seconds <= 0 else "in a moment"
    span = abs(seconds)
    if span < 60:
        words = f"{span} s"
    elif span < 3600:
        words = f"{span // 60} min"
    elif span < 86400:
        words = f"{span // 3600} h"
    elif span < 2 * 86400:
        return "yesterday" if seconds < 0 else "tomorrow"
    elif span < 7 * 86400:
        words = f"{span // 86400} days"
    else:
        return local_time(epoch, "%Y-%m-%d")
    return f"{words} ago" if seconds < 0 else f"in {words}"


def duration(seconds: float) -> str:
    """A time span for "time left": "45 s", "12 min", "2 h 5 min"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
