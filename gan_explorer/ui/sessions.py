"""The app's sessions, one per browser tab, keyed by Gradio's session hash: the one place the app
keeps mutable state (behind a lock). The Session itself is plain Python (gan_explorer/sessions.py);
closing the tab (demo.unload) stops its run and drops it.
"""
from __future__ import annotations

import threading
import time

import gradio as gr

from ..cores import CoreShare
from ..forkserver import Forkserver
from ..memory import return_freed_memory
from ..sessions import Session

IDLE_EXPIRY_S = 3600.0  # API clients never "close a tab": drop their sessions after an idle hour


class SessionRegistry:
    """Sessions by `request.session_hash`. Created on first use, removed by `close` on unload.
    Every request that reaches a session tells the server's CoreShare (`cores`) that someone is
    using the page, so a training run gives back the core it borrowed. `apart`: its sessions' runs on
    drawn data train in processes of their own, forked by it (Session.apart), for a tab that offers no Pause."""

    def __init__(self, cores: CoreShare | None = None, apart: Forkserver | None = None) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.cores, self.apart = cores, apart

    def get(self, request: gr.Request) -> Session:
        key = request.session_hash
        if key is None:
            raise gr.Error("This request has no session; use the app's queue (the default).")
        with self._lock:
            if key not in self._sessions:
                self._expire_idle()
            session = self._sessions.setdefault(key, Session(cores=self.cores, apart=self.apart))
        return self._used(session)

    def find(self, session_hash: str) -> Session | None:
        """The session of a page's Gradio session hash, for the app's own routes (ui/slider_route.py);
        None when there is none: a route never creates one."""
        with self._lock:
            session = self._sessions.get(session_hash)
        return self._used(session) if session is not None else None

    def _used(self, session: Session) -> Session:
        session.last_seen = time.monotonic()
        if self.cores is not None:
            self.cores.request()
        return session

    def _expire_idle(self) -> None:
        """Drop sessions unused for IDLE_EXPIRY_S that are not training (called with the lock held)."""
        now = time.monotonic()
        expired = [k for k, s in self._sessions.items() if now - s.last_seen > IDLE_EXPIRY_S and not s.running]
        for key in expired:
            self._sessions.pop(key).reset()
        if expired:
            return_freed_memory()

    def close(self, request: gr.Request) -> None:
        with self._lock:
            session = self._sessions.pop(request.session_hash, None)
        if session is not None:
            session.reset()
            del session  # the last reference: its run and uploads are freed before the trim
            return_freed_memory()

    def __len__(self) -> int:
        return len(self._sessions)
