"""`python -m sandbox` runs in the foreground and stops cleanly on a signal."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_python_m_sandbox_serves_and_stops_on_sigint(tmp_path):
    command = [sys.executable, "-m", "sandbox", "--port", "0", "--smtp-port", "0",
               "--data-dir", str(tmp_path), "--speed", "3600"]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            first = proc.stdout.readline()
            assert first.startswith("Knock sandbox at http://127.0.0.1:"), first + proc.stderr.read()
            base_url = first.split()[3].rstrip("/")
            banner = [proc.stdout.readline() for _ in range(12)]
            assert any(str(tmp_path / "mail") in line for line in banner)
            with urllib.request.urlopen(base_url + "/acme-outdoor/contact", timeout=10) as r:
                assert 200 == r.status

            proc.send_signal(signal.SIGINT)
            assert 0 == proc.wait(timeout=10)
            assert "Sandbox stopped." in proc.stdout.read()
        finally:
            if proc.poll() is None:
                proc.kill()
