"""Reading ahead on a background thread, so that preparing data overlaps training.

The producer thread fills a bounded queue; the consumer is a generator. Closing
the generator (or dropping it, or an exception in the consumer) stops and joins
the thread, and an exception in the producer is raised in the consumer.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterator

# How long the producer waits on a full queue before checking whether to stop, and
# how long the consumer waits for the producer to finish when it closes.
_POLL_S = 0.05
_JOIN_S = 5.0


def prefetch(make_iterator: Callable[[], Iterator[Any]], buffer_size: int,
             name: str = "tinyfit-prefetch") -> Iterator[Any]:
    """Yields what `make_iterator()` yields, read up to `buffer_size` items ahead on a thread.

    The upstream iterator is made, run and closed on the producer thread only: a
    generator may not be resumed by one thread while another runs it.
    """
    items: queue.Queue = queue.Queue(maxsize=buffer_size)
    stop = threading.Event()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                items.put(entry, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = None
        try:
            source = iter(make_iterator())
            for item in source:
                if not put(("item", item)):
                    return
            put(("done", None))
        except BaseException as error:  # noqa: BLE001 - every failure must reach the consumer
            put(("error", error))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = items.get()
            if kind == "item":
                yield value
            elif kind == "done":
                return
            else:
                raise value
    finally:
        stop.set()
        thread.join(timeout=_JOIN_S)
