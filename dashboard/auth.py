"""Who may open the dashboard: a password hash, or single sign-on (OIDC).

The dashboard shows contacts, replies and evidence (screenshots with
persona data), so every researcher page sits behind a login. Two ways in,
either or both:

1. **A shared password.** Only its hash is configured, in the environment
   variable ``KNOCK_DASHBOARD_PASSWORD_HASH`` or in ``.streamlit/secrets.toml``
   as ``[dashboard] password_hash = "..."`` (the environment wins). Formats:

   - ``pbkdf2_sha256$<iterations>$<salt>$<hash>`` (recommended): PBKDF2-HMAC-SHA256
     (``hashlib.pbkdf2_hmac``), salt and hash in URL-safe base64 without padding,
     the layout Django uses. Make one with ``python -m dashboard.auth hash``.
   - ``sha256:<hex>``: the SHA-256 of the password in hex (unsalted; only for
     quick local setups, e.g. ``printf %s secret | sha256sum``).

2. **Single sign-on** with ``st.login`` when ``[auth]`` is configured in
   secrets (Streamlit's OIDC settings: ``redirect_uri``, ``cookie_secret``,
   ``client_id``, ``client_secret``, ``server_metadata_url``, or named
   providers as ``[auth.<name>]``). Restrict who gets in with
   ``[dashboard] allowed_emails = ["ada@lab.example", "@lab.example"]`` (or
   ``KNOCK_DASHBOARD_ALLOWED_EMAILS="ada@lab.example,@lab.example"``); an entry
   starting with ``@`` admits a whole domain.

With neither configured, the dashboard refuses to show researcher pages and
says how to set a password. This module never imports streamlit.

    >>> encoded = hash_password("correct horse", iterations=1000, salt=b"0123456789abcdef")
    >>> encoded.split("$")[:2]
    ['pbkdf2_sha256', '1000']
    >>> verify_password("correct horse", encoded), verify_password("wrong", encoded)
    (True, False)
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass
from typing import Mapping

ENV_HASH = "KNOCK_DASHBOARD_PASSWORD_HASH"
ENV_ALLOWED = "KNOCK_DASHBOARD_ALLOWED_EMAILS"
ITERATIONS = 600_000  # OWASP Password Storage Cheat Sheet (2023) for PBKDF2-HMAC-SHA256
PBKDF2 = "pbkdf2_sha256"


class BadHash(ValueError):
    """The configured password hash is not in a known format: make one with `python -m dashboard.auth hash`."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<hash>`` for ``password``."""
    if not password:
        raise ValueError("an empty password protects nothing")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{PBKDF2}${iterations}${_b64(salt)}${_b64(digest)}"


def check_hash(encoded: str) -> None:
    """Raise ``BadHash`` saying what is wrong with a configured hash."""
    encoded = encoded.strip()
    if encoded.startswith("sha256:"):
        hexpart = encoded.removeprefix("sha256:")
        if len(hexpart) != 64 or any(c not in "0123456789abcdefABCDEF" for c in hexpart):
            raise BadHash("a sha256: hash is 'sha256:' followed by 64 hex digits")
        return
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != PBKDF2:
        raise BadHash(f"{ENV_HASH} must look like 'pbkdf2_sha256$<iterations>$<salt>$<hash>' or "
                      "'sha256:<64 hex digits>': make one with `python -m dashboard.auth hash`")
    if not parts[1].isdigit() or int(parts[1]) < 1:
        raise BadHash("the iteration count of a pbkdf2_sha256 hash must be a positive number")
    try:
        _unb64(parts[2]), _unb64(parts[3])
    except (ValueError, TypeError):
        raise BadHash("the salt and hash of a pbkdf2_sha256 hash must be base64") from None


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded`` (constant-time comparison)."""
    check_hash(encoded)
    encoded = encoded.strip()
    if encoded.startswith("sha256:"):
        given = hashlib.sha256(password.encode("utf-8")).hexdigest()
        return hmac.compare_digest(given, encoded.removeprefix("sha256:").lower())
    _, iterations, salt, digest = encoded.split("$")
    given = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), _unb64(salt), int(iterations))
    return hmac.compare_digest(given, _unb64(digest))


@dataclass(frozen=True)
class AuthConfig:
    """What is configured: a password hash, OIDC providers, an allow-list of emails."""

    password_hash: str | None = None
    password_source: str = ""
    oidc: bool = False
    providers: tuple[str, ...] = ()  # named providers ([auth.google]); () = the default [auth] one
    allowed_emails: tuple[str, ...] = ()

    @property
    def configured(self) -> bool:
        return bool(self.password_hash) or self.oidc


def auth_config(environ: Mapping[str, str] | None = None, secrets_: Mapping | None = None) -> AuthConfig:
    """Read the configuration from the environment and from Streamlit secrets (as plain mappings)."""
    environ = os.environ if environ is None else environ
    secrets_ = secrets_ or {}
    dashboard = _mapping(secrets_.get("dashboard"))
    password_hash, source = None, ""
    if environ.get(ENV_HASH, "").strip():
        password_hash, source = environ[ENV_HASH].strip(), f"environment variable {ENV_HASH}"
    elif str(dashboard.get("password_hash", "")).strip():
        password_hash, source = str(dashboard["password_hash"]).strip(), "secrets [dashboard] password_hash"
    auth = _mapping(secrets_.get("auth"))
    providers = tuple(sorted(k for k, v in auth.items() if isinstance(v, Mapping)))
    oidc = bool(auth) and (bool(providers) or "client_id" in auth)
    allowed_env = environ.get(ENV_ALLOWED, "")
    allowed = [a.strip() for a in allowed_env.split(",") if a.strip()] if allowed_env.strip() else \
        [str(a).strip() for a in dashboard.get("allowed_emails", []) if str(a).strip()]
    return AuthConfig(password_hash, source, oidc, providers, tuple(a.lower() for a in allowed))


def _mapping(value) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def email_allowed(email: str | None, allowed: tuple[str, ...]) -> bool:
    """An empty allow-list admits whoever the identity provider admits.

    >>> email_allowed("ada@lab.example", ("@lab.example",)), email_allowed("eve@x.example", ("@lab.example",))
    (True, False)
    """
    if not allowed:
        return True
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        return False
    domain = "@" + email.rsplit("@", 1)[1]
    return email in allowed or domain in allowed


SETUP_STEPS = (
    ("Set a password; only its hash is stored:",
     f"python -m dashboard.auth hash        # asks for the password, prints the hash\n"
     f"export {ENV_HASH}='pbkdf2_sha256$600000$...'\nstreamlit run app.py", "sh"),
    ("Or put the hash in `.streamlit/secrets.toml`:",
     '[dashboard]\npassword_hash = "pbkdf2_sha256$600000$..."', "toml"),
    ("For single sign-on, configure Streamlit's OIDC `[auth]` section in the same file and say who may "
     "sign in:",
     '[auth]\nredirect_uri = "https://knock.lab.example/oauth2callback"\ncookie_secret = "..."\n'
     'client_id = "..."\nclient_secret = "..."\n'
     'server_metadata_url = "https://accounts.google.com/.well-known/openid-configuration"\n\n'
     '[dashboard]\nallowed_emails = ["@lab.example"]', "toml"),
)
SETUP_HELP = "No login is configured, so the dashboard shows no experiment data.\n\n" + "\n\n".join(
    f"{text}\n\n{code}" for text, code, _ in SETUP_STEPS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.auth",
                                     description="Make a password hash for the Knock dashboard.")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("hash", help="print a pbkdf2_sha256 hash of a password")
    make.add_argument("--stdin", action="store_true", help="read the password from standard input (scripts)")
    make.add_argument("--iterations", type=int, default=ITERATIONS, help=f"PBKDF2 iterations (default {ITERATIONS})")
    check = sub.add_parser("check", help="check a password against a hash (exit 0 when it matches)")
    check.add_argument("hash", help="the hash, e.g. the value of " + ENV_HASH)
    check.add_argument("--stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args(argv)
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Dashboard password: ")
        if args.command == "hash" and getpass.getpass("Again: ") != password:
            print("The two passwords differ; nothing was made.", file=sys.stderr)
            return 2
    if args.command == "check":
        try:
            ok = verify_password(password, args.hash)
        except BadHash as exc:
            print(exc, file=sys.stderr)
            return 2
        print("matches" if ok else "does not match")
        return 0 if ok else 1
    try:
        encoded = hash_password(password, iterations=args.iterations)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(encoded)
    if sys.stdout.isatty():
        print(f"\nexport {ENV_HASH}='{encoded}'", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
