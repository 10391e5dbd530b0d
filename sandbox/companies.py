"""The fictitious companies of the sandbox world.

Ten companies in four industries (two or more each, so results can be
stratified), one or more per form kind, timezones on four continents. All
domains use the reserved ``.example`` TLD: nothing here can ever reach a
real company.

    >>> by_slug("acme-outdoor").support_email
    'support@acme-outdoor.example'
"""

from __future__ import annotations

from sandbox.model import Behaviour, Company, Field, Flakiness, Theme


def _f(semantic, name, label=None, placeholder=None, kind="text", required=False, step=1, options=()):
    return Field(semantic, name, label, placeholder, kind, required, step, tuple(options))


# The labelled form of the `plain` kind; other plain-ish forms vary on it.
PLAIN_FIELDS = (
    _f("name", "name", "Your name", required=True),
    _f("email", "email", "Email", kind="email", required=True),
    _f("phone", "phone", "Phone", kind="tel"),
    _f("subject", "subject", "Subject"),
    _f("message", "message", "Message", kind="textarea", required=True),
    _f("consent", "consent", "I agree to be contacted", kind="checkbox", required=True),
)

COMPANIES: tuple[Company, ...] = (
    Company(
        slug="acme-outdoor",
        name="Acme Outdoor Supply",
        domain="acme-outdoor.example",
        timezone="Europe/London",
        industry="retail",
        form_kind="plain",
        contact_path="/acme-outdoor/contact",
        success_text="Thank you — we have received your message",
        tagline="Tents, boots and waterproofs since 1987",
        address="14 Fellside Road, Keswick CA12 5AB, United Kingdom",
        city="Keswick",
        phone="+44 17687 00123",
        fields=PLAIN_FIELDS,
        submit_label="Send message",
        success_redirect=True,
        staff=("Hannah Brooks", "Tom Ellery"),
        ticket_prefix="ACM-",
        services=("Camping & tents", "Walking boots", "Repairs service"),
        behaviour=Behaviour(0.2, 0.3, 0.45, 0.05, human_delay_mu=1.8, auto_ack_delay_s=20, ack_then_human=0.6),
        theme=Theme(primary="#2f5d3a", accent="#e07a1f", background="#f4f2ec", layout="bar"),
    ),
    Company(
        slug="bluefin-software",
        name="Bluefin Software",
        domain="bluefin-software.example",
        timezone="America/New_York",
        industry="software",
        form_kind="placeholder",
        contact_path="/bluefin-software/contact",
        success_text="Thanks! Your request has been submitted.",
        tagline="Scheduling software for busy clinics",
        address="210 Hudson Street, Floor 6, New York, NY 10013, USA",
        city="New York",
        phone="+1 212 555 0142",
        fields=(
            _f("name", "f1", placeholder="Full name", required=True),
            _f("email", "f2", placeholder="Work email", kind="email", required=True),
            _f("phone", "f3", placeholder="Phone number", kind="tel"),
            _f("subject", "f4", placeholder="Subject"),
            _f("message", "f5", placeholder="Tell us how we can help", kind="textarea", required=True),
        ),
        submit_label="Submit",
        staff=("Priya Raman", "Marcus Lee", "Dana Whitfield"),
        services=("Online booking", "Reminders by SMS", "Team calendars"),
        behaviour=Behaviour(
            0.1, 0.5, 0.4, 0.0, human_delay_mu=1.0, auto_ack_delay_s=5,
            ack_then_human=0.8, autoack_style="helpdesk",
        ),
        theme=Theme(primary="#14365d", accent="#1fa2c7", background="#f3f7fb", layout="split"),
    ),
    Company(
        slug="harbour-savings",
        name="Harbour Savings & Loans",
        domain="harbour-savings.example",
        timezone="Australia/Sydney",
        industry="finance",
        form_kind="two_step",
        contact_path="/harbour-savings/contact",
        success_text="Thank you, your enquiry has been sent",
        tagline="A mutual bank for the harbour suburbs",
        address="88 Circular Quay West, Sydney NSW 2000, Australia",
        city="Sydney",
        phone="+61 2 5550 1188",
        fields=(
            _f("name", "full_name", "Full name", required=True),
            _f("email", "email_address", "Email address", kind="email", required=True),
            _f("subject", "subject", "Subject", required=True, step=2),
            _f("message", "enquiry", "How can we help?", kind="textarea", required=True, step=2),
        ),
        next_label="Next",
        submit_label="Send",
        staff=("Olivia Nguyen", "Jack Morrison"),
        ticket_prefix="HS",
        services=("Savings accounts", "Home loans", "Business banking"),
        behaviour=Behaviour(0.3, 0.4, 0.25, 0.05, human_delay_mu=3.0, auto_ack_delay_s=60, ack_then_human=0.5,
                            autoack_style="exchange"),
        theme=Theme(primary="#0d4d57", accent="#c9a227", background="#f5f6f4", font="serif", layout="utility"),
    ),
    Company(
        slug="sakura-stay",
        name="Sakura Stay Hotels",
        domain="sakura-stay.example",
        timezone="Asia/Tokyo",
        industry="hospitality",
        form_kind="phone_validation",
        contact_path="/sakura-stay/contact",
        success_text="Thank you for your enquiry — our front desk will be in touch",
        tagline="Boutique hotels in Kyoto and Tokyo",
        address="3-12 Gion-machi, Higashiyama-ku, Kyoto 605-0073, Japan",
        city="Kyoto",
        phone="+81 75 555 0110",
        fields=(
            _f("name", "guest_name", "Guest name", required=True),
            _f("email", "email", "Email", kind="email", required=True),
            _f("phone", "phone", "Phone number", kind="tel", required=True),
            _f("message", "message", "Message", kind="textarea", required=True),
        ),
        submit_label="Send enquiry",
        staff=("Yuki Tanaka", "Kenji Mori"),
        ticket_prefix="SKR",
        services=("Gion ryokan", "Shibuya loft rooms", "Tea ceremony evenings"),
        behaviour=Behaviour(0.15, 0.15, 0.65, 0.05, human_delay_mu=1.5, auto_ack_delay_s=10,
                            business_days=(0, 1, 2, 3, 4, 5, 6), open_hour=8, close_hour=22),
        theme=Theme(primary="#8c2f4b", accent="#e8a0b4", background="#fbf6f3", font="serif", layout="centered"),
    ),
    Company(
        slug="brightleaf-analytics",
        name="Brightleaf Analytics",
        domain="brightleaf-analytics.example",
        timezone="Europe/Berlin",
        industry="software",
        form_kind="job_application",
        contact_path="/brightleaf-analytics/careers/apply",
        success_text="Thank you for applying",
        tagline="Dashboards that explain themselves",
        address="Torstraße 140, 10119 Berlin, Germany",
        city="Berlin",
        phone="+49 30 5550 7788",
        fields=(
            _f("name", "applicant_name", "Full name", required=True),
            _f("email", "applicant_email", "Email", kind="email", required=True),
            _f("phone", "applicant_phone", "Phone", kind="tel"),
            _f("position", "position", "Position", kind="select", required=True,
               options=("Data Analyst", "Software Engineer", "Customer Success Manager")),
            _f("message", "cover_letter", "Cover letter", kind="textarea", required=True),
            _f("resume", "resume", "Résumé (PDF)", kind="file", required=True),
        ),
        submit_label="Submit application",
        staff=("Lena Hoffmann", "Jonas Becker"),
        ticket_prefix="BA-",
        services=("Self-serve dashboards", "Data pipelines", "Training"),
        behaviour=Behaviour(0.55, 0.3, 0.15, 0.0, human_delay_mu=3.8, human_delay_sigma=0.9,
                            auto_ack_delay_s=15, ack_then_human=0.2, autoack_style="helpdesk"),
        theme=Theme(primary="#4b2a85", accent="#f2b134", background="#f7f5fb", layout="split"),
    ),
    Company(
        slug="northgate-insurance",
        name="Northgate Insurance",
        domain="northgate-insurance.example",
        timezone="America/Chicago",
        industry="finance",
        form_kind="captcha",
        contact_path="/northgate-insurance/contact-us",
        success_text="Your message has been sent",
        tagline="Home, auto and small-business cover",
        address="400 N Michigan Ave, Suite 1200, Chicago, IL 60611, USA",
        city="Chicago",
        phone="+1 312 555 0199",
        fields=(
            _f("name", "name", "Name", required=True),
            _f("email", "email", "Email", kind="email", required=True),
            _f("policy", "policy_number", "Policy number (optional)"),
            _f("message", "message", "Message", kind="textarea", required=True),
        ),
        submit_label="Send",
        staff=("Robert Kowalski", "Maria Alvarez"),
        ticket_prefix="NGI",
        services=("Home insurance", "Auto insurance", "Business cover"),
        behaviour=Behaviour(0.4, 0.4, 0.15, 0.05, human_delay_mu=3.2, auto_ack_delay_s=45,
                            ack_then_human=0.3, autoack_style="exchange"),
        theme=Theme(primary="#1b2a4a", accent="#d64545", background="#f4f5f8", layout="utility"),
    ),
    Company(
        slug="copperpot-kitchen",
        name="Copperpot Kitchenware",
        domain="copperpot-kitchen.example",
        timezone="America/Los_Angeles",
        industry="retail",
        form_kind="flaky",
        contact_path="/copperpot-kitchen/contact",
        success_text="Thanks for getting in touch!",
        tagline="Pans, knives and everything for the home cook",
        address="1550 Valencia Street, San Francisco, CA 94110, USA",
        city="San Francisco",
        phone="+1 415 555 0163",
        fields=(
            _f("name", "name", "Name", required=True),
            _f("email", "email", "Email address", kind="email", required=True),
            _f("order", "order_number", "Order number (optional)"),
            _f("message", "message", "Your message", kind="textarea", required=True),
        ),
        submit_label="Send",
        staff=("Sam Ortega", "Bea Lindqvist"),
        ticket_prefix="CP",
        services=("Copper cookware", "Knife sharpening", "Cooking classes"),
        behaviour=Behaviour(0.3, 0.2, 0.4, 0.1, human_delay_mu=2.5, auto_ack_delay_s=30, ack_then_human=0.4),
        flakiness=Flakiness(error_rate=0.25, slow_rate=0.3, slow_seconds=1.5, error_after_record_rate=0.5),
        theme=Theme(primary="#8a4b2a", accent="#d98c4a", background="#fbf7f2", font="rounded", layout="centered"),
    ),
    Company(
        slug="quayside-inn",
        name="The Quayside Inn",
        domain="quayside-inn.example",
        timezone="Europe/Dublin",
        industry="hospitality",
        form_kind="no_form",
        contact_path="/quayside-inn/contact",
        success_text="",
        tagline="Rooms, food and music on the harbour since 1842",
        address="2 Harbour Row, Cobh, Co. Cork P24 X000, Ireland",
        city="Cobh",
        phone="+353 21 555 0147",
        fields=(),
        submit_label="",
        staff=("Siobhán Murphy", "Declan O'Brien"),
        services=("Harbour-view rooms", "Seafood kitchen", "Live music Fridays"),
        behaviour=Behaviour(0.35, 0.0, 0.55, 0.1, human_delay_mu=2.2, business_days=(0, 1, 2, 3, 4, 5, 6),
                            open_hour=10, close_hour=21),
        theme=Theme(primary="#1f4e79", accent="#e3b23c", background="#f6f4ef", font="serif", layout="centered"),
    ),
    Company(
        slug="tandem-travel",
        name="Tandem Travel Co.",
        domain="tandem-travel.example",
        timezone="Europe/Paris",
        industry="hospitality",
        form_kind="plain",
        contact_path="/tandem-travel/contact",
        success_text="Thank you — we have received your message",
        tagline="Cycling holidays through France and Italy",
        address="27 rue des Martyrs, 75009 Paris, France",
        city="Paris",
        phone="+33 1 55 50 12 34",
        fields=PLAIN_FIELDS,
        submit_label="Send message",
        staff=("Camille Laurent", "Luca Romano"),
        ticket_prefix="TT",
        services=("Loire by bike", "Tuscany tours", "Tailor-made trips"),
        behaviour=Behaviour(0.25, 0.35, 0.35, 0.05, human_delay_mu=2.0, auto_ack_delay_s=25, ack_then_human=0.5,
                            autoack_style="helpdesk"),
        theme=Theme(primary="#0f766e", accent="#f5b700", background="#f5faf9", font="rounded", layout="bar"),
    ),
    Company(
        slug="ledgerline-accounting",
        name="Ledgerline Accounting",
        domain="ledgerline-accounting.example",
        timezone="America/Toronto",
        industry="finance",
        form_kind="plain",
        contact_path="/ledgerline-accounting/contact",
        success_text="Thank you — we have received your message",
        tagline="Bookkeeping and tax for small businesses",
        address="95 King Street East, Toronto, ON M5C 1G4, Canada",
        city="Toronto",
        phone="+1 416 555 0175",
        fields=PLAIN_FIELDS,
        submit_label="Send message",
        staff=("Grace Chen", "Alan McLeod"),
        ticket_prefix="LL-",
        services=("Bookkeeping", "Year-end accounts", "Payroll"),
        behaviour=Behaviour(0.2, 0.2, 0.55, 0.05, human_delay_mu=2.8, auto_ack_delay_s=40, ack_then_human=0.3),
        theme=Theme(primary="#3d4a3d", accent="#7fb069", background="#f6f7f4", layout="split"),
    ),
)

_BY_SLUG = {c.slug: c for c in COMPANIES}
_BY_DOMAIN = {c.domain: c for c in COMPANIES}


class UnknownCompany(KeyError):
    """No sandbox company has that slug or domain: see sandbox.companies.COMPANIES."""


def by_slug(slug: str) -> Company:
    """The company with that slug; raises UnknownCompany otherwise."""
    try:
        return _BY_SLUG[slug]
    except KeyError:
        raise UnknownCompany(f"no sandbox company {slug!r}; known: {', '.join(_BY_SLUG)}") from None


def by_domain(domain: str) -> Company:
    """The company owning that mail domain; raises UnknownCompany otherwise."""
    try:
        return _BY_DOMAIN[domain.lower()]
    except KeyError:
        raise UnknownCompany(f"no sandbox company at {domain!r}") from None
