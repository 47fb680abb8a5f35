"""`dinghuo serve` under a supervisor: stopping it stops the whole server, workers included."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

CLI = [sys.executable, "-m", "dinghuo.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_stops_the_server_and_its_workers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL", "DINGHUO_ENV"}}
    env["DINGHUO_DATA_DIR"] = str(tmp_path)
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while _listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _listening(port), "a worker outlived the server it belonged to"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_production_serve_refuses_to_start_without_collected_static_files(tmp_path):
    # given a migrated database but no `dinghuo setup` (so no static manifest)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL", "DINGHUO_ENV"}}
    env["DINGHUO_DATA_DIR"] = str(tmp_path)
    subprocess.run([*CLI, "migrate", "-v0"], env=env, check=True, capture_output=True, timeout=300)
    # when production is served
    env.update(DINGHUO_ENV="production", SECRET_KEY="s" * 50)
    out = subprocess.run([*CLI, "serve", "--port", str(_free_port())], env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    # then it says what to run instead of serving a 500 on every page
    assert out.returncode == 2
    assert out.stderr.strip() == "dinghuo: static files are not collected; run `dinghuo setup` first"
