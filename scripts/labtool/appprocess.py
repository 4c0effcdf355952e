"""Run a lab app under a real uvicorn process, as the container does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from labtool import REPO
from labtool.pgserver import free_port

APPS_DIR = REPO / "apps"


def app_env(extra: dict[str, str]) -> dict[str, str]:
    """A clean environment: nothing from the caller's POSTGRES_*/APP_* leaks in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("POSTGRES_", "APP_", "ADMIN_", "POD_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(APPS_DIR), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def assert_json_error(response: httpx.Response, status: int, pod: str) -> dict:
    """An error in labkit's shape: JSON, from `pod`, the request id echoed, no stack trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["pod"] == pod and body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


class AppProcess:
    def __init__(self, target: str, env: dict[str, str], port: int | None = None, extra_args: tuple[str, ...] = ()) -> None:
        self.target = target
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = app_env(env)
        self.extra_args = extra_args
        self._log_file = tempfile.NamedTemporaryFile(prefix="app-", suffix=".log", delete=False)
        self.log_path = Path(self._log_file.name)
        self.process: subprocess.Popen | None = None

    def start(self) -> AppProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", self.target, "--host", "127.0.0.1", "--port", str(self.port),
             "--no-access-log", *self.extra_args],
            env=self.env, stdout=self._log_file, stderr=subprocess.STDOUT,
        )
        return self

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, path: str, status: int = 200, timeout: float = 20.0) -> httpx.Response:
        """Poll until `path` answers `status`; fail with the app's log if it never does."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise AssertionError(f"app exited with {self.process.returncode}:\n{self.logs()}")
            try:
                response = httpx.get(self.base_url + path, timeout=2.0)
                if response.status_code == status:
                    return response
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise AssertionError(f"{path} did not answer {status} within {timeout}s (last: {last}):\n{self.logs()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()

    def cleanup(self) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> AppProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()
