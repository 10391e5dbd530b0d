"""dashboard.auth: password hashes, where the configuration comes from, who may sign in."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import auth

ROOT = Path(__file__).resolve().parent.parent


def test_pbkdf2_hashes_verify_and_are_salted():
    one, two = auth.hash_password("s3cret", iterations=2000), auth.hash_password("s3cret", iterations=2000)
    assert one != two and one.startswith("pbkdf2_sha256$2000$")
    assert auth.verify_password("s3cret", one) and not auth.verify_password("S3cret", one)


def test_plain_sha256_hashes_are_accepted_for_quick_setups():
    encoded = "sha256:" + hashlib.sha256(b"s3cret").hexdigest()
    assert auth.verify_password("s3cret", encoded) and not auth.verify_password("other", encoded)


@pytest.mark.parametrize("bad", ["s3cret", "sha256:abc", "pbkdf2_sha256$x$y$z", "md5$1$2$3"])
def test_a_malformed_hash_says_how_to_make_one(bad):
    with pytest.raises(auth.BadHash):
        auth.verify_password("s3cret", bad)


def test_the_environment_wins_over_secrets_and_oidc_needs_an_auth_section():
    secrets = {"dashboard": {"password_hash": "sha256:" + "0" * 64, "allowed_emails": ["@lab.example"]},
               "auth": {"redirect_uri": "x", "cookie_secret": "y", "google": {"client_id": "z"}}}
    config = auth.auth_config({auth.ENV_HASH: "pbkdf2_sha256$1$AA$AA"}, secrets)
    assert config.password_hash.startswith("pbkdf2") and "environment" in config.password_source
    assert config.oidc and ("google",) == config.providers and ("@lab.example",) == config.allowed_emails
    assert not auth.auth_config({}, {}).configured


def test_the_allow_list_admits_addresses_and_whole_domains():
    allowed = ("ada@lab.example", "@uni.example")
    assert auth.email_allowed("Ada@Lab.example", allowed) and auth.email_allowed("bo@uni.example", allowed)
    assert not auth.email_allowed("eve@lab.example", allowed) and not auth.email_allowed(None, allowed)


def test_python_m_dashboard_auth_hash_makes_a_hash_that_checks():
    made = subprocess.run([sys.executable, "-m", "dashboard.auth", "hash", "--stdin", "--iterations", "1000"],
                          input="open sesame\n", capture_output=True, text=True, cwd=ROOT, check=True)
    encoded = made.stdout.strip()
    assert auth.verify_password("open sesame", encoded)
    checked = subprocess.run([sys.executable, "-m", "dashboard.auth", "check", encoded, "--stdin"],
                             input="open sesame\n", capture_output=True, text=True, cwd=ROOT)
    assert 0 == checked.returncode and "matches" in checked.stdout
