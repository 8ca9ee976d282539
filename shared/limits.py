"""Sizes of what the services accept and store: one place for the HTTP models and the tables (`String(N)`).

Text longer than its column would make PostgreSQL refuse the write (a 500, or an event no consumer can store), so
the API refuses it first with a 422 naming the field. Changing a column size here needs a migration."""

from __future__ import annotations

# Stored in columns of exactly this many characters.
DEPARTMENT = 100  # dispatch tickets.department, sla_monitor timers.department
PERSON = 100  # a technician, an API key name acting (tickets.technician, timers.person, actor, declared_by)
TICKET_AREA = 100  # intake tickets.area
OUTAGE_AREA = 200  # incidents.area (intake and dispatch)
AUTHORITY = 100  # intake tickets.authority
CUSTOMER_NAME = 100  # intake tickets.customer_name (intake's own rule may be stricter, see IntakeLimits)
PHONE = 40  # intake tickets.phone
ADDRESS = 300  # intake tickets.address
ACCOUNT = 40  # intake tickets.account
IDEMPOTENCY_KEY = 200  # idempotency_keys.key
RULE_ID = 80  # sla_monitor timers.rule_id

# Kept in TEXT or JSONB columns: limited so one request cannot grow a row or an event without bound.
FREE_TEXT = 2000  # descriptions, notes, reasons, causes
REFERENCE = 200  # recording references, complaint references, cursors and other opaque tokens

# Requests.
MAX_BODY_BYTES = 256 * 1024  # 1,000 ticket ids to link fit with room to spare
MAX_JSON_DEPTH = 16  # the deepest body today nests 3 levels
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099  # a timestamp outside these years is a typo or an attack
