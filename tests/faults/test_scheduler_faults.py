"""--scheduler addresses: validated, probed with a deadline; a real scheduler still connects."""

from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from macroattr.core.errors import InputError
from macroattr.jobs.executor import Executor


@pytest.fixture
def http_port():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def silent_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


@pytest.mark.parametrize("kind", ["http", "silent"])
def test_a_port_that_is_no_scheduler_is_one_line_within_10_s(kind, request):
    port = request.getfixturevalue(f"{kind}_port")
    t0 = time.monotonic()
    with pytest.raises(InputError) as exc:
        Executor(scheduler=f"tcp://127.0.0.1:{port}").__enter__()
    assert time.monotonic() - t0 < 10
    assert "no Dask scheduler answered" in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("address,words", [("garbage", "is not a scheduler address"),
                                           ("inproc://x", "is not a scheduler address"),
                                           ("tls://127.0.0.1:8786", "only tcp://"),
                                           ("tcp://[::1", "is not a scheduler address"),
                                           ("tcp://127.0.0.1:99999", "is not a scheduler address")])
def test_bad_addresses_are_one_line(address, words):
    with pytest.raises(InputError) as exc:
        Executor(scheduler=address).__enter__()
    assert words in str(exc.value)


def test_a_real_scheduler_still_connects():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://", dashboard_address=None) as cluster:
        ex = Executor(scheduler=cluster.scheduler_address)
        ex.__enter__()
        try:
            assert len(ex.client.scheduler_info()["workers"]) == 1
        finally:
            ex.__exit__(None, None, None)
