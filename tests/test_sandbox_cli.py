"""`python -m sandbox` runs in the foreground and stops cleanly on a signal."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
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


def test_latency_makes_every_company_page_take_its_server_time_and_no_less(tmp_path):
    # A lower bound on a sleep the server itself does: a behaviour, not a speed target.
    command = [sys.executable, "-m", "sandbox", "--port", "0", "--smtp-port", "0",
               "--data-dir", str(tmp_path), "--speed", "0", "--latency", "0.4"]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            first = proc.stdout.readline()
            base_url = first.split()[3].rstrip("/")
            for path in ("/acme-outdoor/contact", "/tandem-travel/contact"):
                started = time.monotonic()
                with urllib.request.urlopen(base_url + path, timeout=10) as r:
                    assert 200 == r.status
                assert time.monotonic() - started >= 0.4
        finally:
            proc.kill()
            proc.wait(timeout=10)


def test_a_negative_latency_is_refused_with_a_clear_message(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sandbox", "--data-dir", str(tmp_path), "--latency", "-1"],
                          cwd=REPO, capture_output=True, text=True, timeout=30)

    assert 2 == done.returncode
    assert "--latency must be 0 or more seconds" in done.stderr
