"""A world of fictitious companies on 127.0.0.1, for Knock's demos and tests.

Websites with contact forms of many shapes, mail servers, and support staff
who answer (or not) by email on a simulated clock. It imports nothing from
the app: it is the outside world.

    from sandbox import Sandbox, COMPANIES, by_slug
"""

from sandbox.companies import COMPANIES, by_domain, by_slug
from sandbox.server import Sandbox, main, serve_forever

__all__ = ["COMPANIES", "Sandbox", "by_domain", "by_slug", "main", "serve_forever"]
