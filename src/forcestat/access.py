"""Who may see what: roles, users, API tokens and the access audit, kept in the store.

Roles are rows of the ``roles`` table, each with a rank; a role may do what every role of a
lower or equal rank may (``public`` < ``board`` < ``safeguarding`` < ``analyst`` <
``manager`` < ``admin``), except that children's details need ``safeguarding`` itself.
A new role is one :func:`add_role` call.
Passwords are hashed with Argon2; API tokens are random and stored only as their SHA-256.
Every read of record-level data is written to the store's ``audit_log`` (who, when, what, how
many rows) by :func:`record_access`; ``forcestat audit`` lists it.

The SQL here is written once, in DuckDB's dialect, and runs on any store through the store's
``rows``/``run`` methods (PostgreSQL translates it), so users and tokens added on a PostgreSQL
store are seen by every server process. Each change also rewrites the store's access stamp
(``forcestat_meta`` key ``access_version``), which a web server on a shared store watches to
drop what it has cached about users.

>>> from forcestat.store import Store
>>> s = Store.open(":memory:")
>>> password = add_user(s, "ana", "analyst")
>>> authenticate(s, "ana", password).role
'analyst'
>>> allowed(s, "analyst", "board"), allowed(s, "board", "analyst")
(True, False)
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import InputError

#: the roles every store starts with, by rank, and what each adds
DEFAULT_ROLES: tuple[tuple[str, int, str], ...] = (
    ("public", 0, "aggregate public figures, no login"),
    ("board", 10, "aggregate pages and reports"),
    # children's details (Operation Encompass) need this role itself: no rank inherits it,
    # and it ranks below analyst, so a safeguarding officer sees no other record-level data
    ("safeguarding", 15, "+ Operation Encompass: children's details (every read audited)"),
    ("analyst", 20, "+ data pages, quarantined rows, record-level data, ingest"),
    ("manager", 30, "+ demand what-ifs and workflows"),
    ("admin", 40, "+ users and tokens"),
)

DDL = (
    """CREATE TABLE IF NOT EXISTS roles (
        name VARCHAR PRIMARY KEY, rank INTEGER NOT NULL, description VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS users (
        name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, password_hash VARCHAR NOT NULL,
        created_at TIMESTAMP, disabled BOOLEAN DEFAULT false)""",
    """CREATE TABLE IF NOT EXISTS tokens (
        token_sha256 VARCHAR PRIMARY KEY, user_name VARCHAR NOT NULL, created_at TIMESTAMP,
        label VARCHAR)""",
    # the audit itself is the store's audit_log (forcestat.schema.workflow), one for all
    """CREATE TABLE IF NOT EXISTS audit_log (
        logged_at TIMESTAMP, actor VARCHAR, role VARCHAR, action VARCHAR, subject VARCHAR,
        detail VARCHAR)""",
)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    name: str
    role: str


PUBLIC = User("(public)", "public")


def ensure_access_schema(store: Any) -> None:
    """Create the roles, users and tokens tables (and audit_log) and the default roles."""
    for ddl in DDL:
        store.run(ddl)
    for name, rank, text in DEFAULT_ROLES:
        store.run("INSERT INTO roles VALUES (?, ?, ?) ON CONFLICT DO NOTHING", [name, rank, text])


def _changed(store: Any) -> None:
    """Stamp an access change (a new user, role or token) for servers sharing the store."""
    store.run(
        "INSERT INTO forcestat_meta VALUES ('access_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [secrets.token_hex(8)],
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def roles(store: Any) -> dict[str, int]:
    """Role name -> rank, lowest first."""
    rows = store.rows("SELECT name, rank FROM roles ORDER BY rank, name")
    return {str(n): int(r) for n, r in rows}


def add_role(store: Any, name: str, rank: int, description: str = "") -> None:
    """Add (or re-rank) a role: it may do what roles of rank <= ``rank`` may."""
    _check_name(name, "role")
    store.run(
        "INSERT INTO roles VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
        "SET rank = excluded.rank, description = excluded.description",
        [name, int(rank), description],
    )
    _changed(store)


def allowed(store: Any, role: str, needed: str) -> bool:
    """True when ``role`` ranks at least as high as ``needed``."""
    ranks = roles(store)
    return role in ranks and needed in ranks and ranks[role] >= ranks[needed]


def _check_name(name: str, what: str) -> None:
    if not NAME.match(name or ""):
        raise InputError(
            f"bad {what} name {name!r}: use letters, digits, '.', '_', '@' or '-' (at most 64)"
        )


def _check_role(store: Any, role: str) -> None:
    ranks = roles(store)
    if role not in ranks or role == "public":
        choices = ", ".join(r for r in ranks if r != "public")
        raise InputError(f"unknown role {role!r}; choose one of: {choices}")


def add_user(store: Any, name: str, role: str) -> str:
    """Create a user (or reset an existing one's password and role); returns a one-time
    password, which is stored only as its Argon2 hash."""
    _check_name(name, "user")
    _check_role(store, role)
    password = secrets.token_urlsafe(12)
    store.run(
        "INSERT INTO users VALUES (?, ?, ?, ?, false) ON CONFLICT (name) DO UPDATE "
        "SET role = excluded.role, password_hash = excluded.password_hash, "
        "created_at = excluded.created_at, disabled = false",
        [name, role, _hasher.hash(password), _now()],
    )
    _changed(store)
    return password


def list_users(store: Any) -> list[dict[str, Any]]:
    rows = store.rows("SELECT name, role, created_at, disabled FROM users ORDER BY name")
    return [{"name": n, "role": r, "created_at": c, "disabled": bool(d)} for n, r, c, d in rows]


def get_user(store: Any, name: str) -> User | None:
    rows = store.rows("SELECT name, role FROM users WHERE name = ? AND NOT disabled", [name])
    row = rows[0] if rows else None
    return User(str(row[0]), str(row[1])) if row else None


def authenticate(store: Any, name: str, password: str) -> User | None:
    """The user if ``password`` is theirs, else None (same work either way)."""
    rows = store.rows(
        "SELECT name, role, password_hash FROM users WHERE name = ? AND NOT disabled", [name]
    )
    row = rows[0] if rows else None
    stored = row[2] if row else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(str(row[0]), str(row[1])) if row else None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so a wrong name costs what a wrong
    password does (no telling names apart by timing)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def token_digest(token: str) -> str:
    """The SHA-256 a token is stored as."""
    return _sha(token)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Any, name: str, label: str = "") -> str:
    """A new bearer token for user ``name``, printed once; only its SHA-256 is stored."""
    if get_user(store, name) is None:
        raise InputError(f"no user {name!r}: add one with `forcestat users add {name} --role R`")
    token = "fst_" + secrets.token_urlsafe(32)
    store.run("INSERT INTO tokens VALUES (?, ?, ?, ?)", [_sha(token), name, _now(), label])
    _changed(store)
    return token


def user_for_token(store: Any, token: str) -> User | None:
    rows = store.rows(
        "SELECT u.name, u.role FROM tokens t JOIN users u ON u.name = t.user_name "
        "WHERE t.token_sha256 = ? AND NOT u.disabled",
        [_sha(token)],
    )
    row = rows[0] if rows else None
    return User(str(row[0]), str(row[1])) if row else None


def record_access(
    store: Any, user: User, action: str, what: str, rows: int, via: str = "web"
) -> None:
    """One audit row: ``user`` read ``rows`` record-level rows (``action`` on ``what``).

    Written to the store's one ``audit_log`` (shared with the workflows), the row count and
    the channel (web or token) in its ``detail``."""
    detail = json.dumps({"rows": int(rows), "via": via}, sort_keys=True)
    store.run(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
        [_now(), user.name, user.role, action, what, detail],
    )


def list_access(
    store: Any, limit: int | None = 100, who: str | None = None
) -> list[dict[str, Any]]:
    """Audit rows (the web's reads and the workflows' alike), newest first: at, who, role,
    action, what, rows (None where the detail holds no count), via."""
    sql = "SELECT logged_at, actor, role, action, subject, detail FROM audit_log"
    params: list[Any] = []
    if who is not None:
        sql += " WHERE actor = ?"
        params.append(who)
    sql += " ORDER BY logged_at DESC" + (f" LIMIT {int(limit)}" if limit is not None else "")
    out = []
    for at, actor, role, action, subject, detail in store.rows(sql, params):
        try:
            d = json.loads(detail or "{}")
        except ValueError:
            d = {}
        d = d if isinstance(d, dict) else {}
        rows = d.get("rows")
        out.append(
            {
                "at": at,
                "who": actor,
                "role": role,
                "action": action,
                "what": subject,
                "rows": int(rows) if isinstance(rows, int | float) else None,
                "via": d.get("via", role),
            }
        )
    return out
