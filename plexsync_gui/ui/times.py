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
