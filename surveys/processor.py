"""Turn received responses into answer rows, in a thread of each app process.

A tablet is told its answers are saved as soon as they are written to the
response row. This thread then expands them into answer rows, masked,
screened and themed, in batches. Tablets come first: the thread waits until
its process has had no request for a moment, or until the oldest answers it
was told of have waited LATEST seconds, and it runs at a lower CPU priority.

Any process can do the work, and the claim in operations.process_pending
makes sure each response is expanded once; so a process killed half way
leaves nothing behind that the next one will not finish.
`flask surveys process` does the same from the shell.
"""

import logging
import os
import threading
import time

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from surveys import operations

log = logging.getLogger(__name__)


class Processor:
    """A thread per process that drains pending responses when nudged."""

    #: seconds between looks for responses other processes left pending
    INTERVAL = 5.0
    #: seconds without a request before the process counts as quiet
    QUIET = 0.2
    #: seconds answers may wait for a quiet moment before they are done anyway
    LATEST = 30.0
    BATCH = 50

    def __init__(self, app):
        self.app = app
        self.nudged = threading.Event()
        self.failed: set[str] = set()
        self.busy = 0
        self.last_request = 0.0
        self._lock = threading.Lock()
        self._pid = None
        self._thread = None
        self._stopping = False

    def init_app(self, app):
        """Count the app's requests in flight, and start the thread on the first."""
        app.before_request(self._request_started)
        app.teardown_request(self._request_ended)

    def notify(self):
        """Ask for pending responses to be processed soon."""
        self.start()
        self.nudged.set()

    def start(self):
        """Start this process's thread unless it runs already (forks have none)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self.nudged = threading.Event()
            self.nudged.set()
            self._thread = threading.Thread(
                target=self._run, name="tongsheng-processor", daemon=True
            )
            self._thread.start()

    def stop(self, timeout=30.0):
        """Let this process's thread finish its batch and end; wait for it."""
        self._stopping = True
        self.nudged.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout)

    def _request_started(self):
        self.start()
        self.busy += 1

    def _request_ended(self, _exc):
        self.busy = max(0, self.busy - 1)
        self.last_request = time.monotonic()

    def quiet(self):
        """Tell whether this process has had no request for QUIET seconds."""
        return not self.busy and time.monotonic() - self.last_request >= self.QUIET

    def _run(self):
        _lower_priority()
        while True:
            self.nudged.wait(self.INTERVAL)
            self.nudged.clear()
            if self._stopping:
                return
            deadline = time.monotonic() + self.LATEST
            try:
                while not self.drain(deadline) and not self._stopping:
                    time.sleep(self.QUIET / 2)
            except OperationalError as exc:
                log.warning("Pending responses not processed yet: %s", exc.orig)
            except Exception:
                log.exception("Pending responses not processed yet")

    def drain(self, deadline=0.0) -> bool:
        """Process pending responses while quiet or past deadline; True when done."""
        engine = self.app.extensions["db_engine"]
        with self.app.app_context(), Session(engine) as session:
            while self.quiet() or time.monotonic() >= deadline:
                ids = operations.pending_ids(session, self.BATCH, self.failed)
                if not ids:
                    return True
                try:
                    operations.process_pending(session, ids)
                except OperationalError:
                    raise
                except Exception:
                    log.exception("A batch failed; its %s one by one", len(ids))
                    self._one_by_one(session, ids)
        return False

    def _one_by_one(self, session, ids):
        """Process ids singly, setting aside any that fails, by id."""
        for response_id in ids:
            try:
                operations.process_pending(session, [response_id])
            except OperationalError:
                raise
            except Exception:
                log.exception("Response %s could not be processed", response_id)
                self.failed.add(response_id)


def _lower_priority():
    """Let the kernel prefer the threads that answer tablets over this one."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        log.debug("Processor thread keeps its CPU priority")
