"""Bearer API keys with roles. Keys come from GONGDAN_API_KEYS as comma-separated name:role:key.
`Role` and `Principal` live in shared/identity.py and are re-exported here."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.identity import Principal, Role


class ApiKeyError(ValueError):
    pass


def parse_api_keys(spec: str) -> dict[str, Principal]:
    """Parse `name:role:key,...`; a bad entry fails start-up naming its position and why."""
    keys: dict[str, Principal] = {}
    for position, entry in enumerate(filter(None, (e.strip() for e in spec.split(","))), start=1):
        parts = entry.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise ApiKeyError(f"GONGDAN_API_KEYS entry {position}: expected name:role:key")
        name, role, key = parts
        if role not in Role.__members__.values():
            raise ApiKeyError(f"GONGDAN_API_KEYS entry {position} ({name}): unknown role {role!r}, "
                              f"expected one of {', '.join(Role)}")
        if len(key) < 16:
            raise ApiKeyError(f"GONGDAN_API_KEYS entry {position} ({name}): key shorter than 16 characters")
        if key in keys:
            raise ApiKeyError(f"GONGDAN_API_KEYS entry {position} ({name}): key already used by another entry")
        keys[key] = Principal(name=name, role=Role(role))
    if not keys:
        raise ApiKeyError("GONGDAN_API_KEYS is empty")
    return keys


def ensure_dev_keys(data_dir: Path) -> tuple[str, Path]:
    """Dev mode only: one key per role, kept in .data/dev-api-keys.txt across restarts (new roles get keys)."""
    path = data_dir / "dev-api-keys.txt"
    keys: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("GONGDAN_API_KEYS="):
                keys = {e.split(":")[1]: e.split(":", 2)[2] for e in line.split("=", 1)[1].split(",")}
    if set(keys) >= set(Role) and path.exists():
        return _dev_spec(keys), path
    keys = {role.value: keys.get(role.value) or secrets.token_urlsafe(24) for role in Role}
    lines = ["# Gongdan dev API keys: send as 'Authorization: Bearer <key>'", "# role        key"]
    lines += [f"{role:<12}  {key}" for role, key in keys.items()]
    lines += ["", f"GONGDAN_API_KEYS={_dev_spec(keys)}", ""]
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    path.chmod(0o600)
    return _dev_spec(keys), path


def _dev_spec(keys: dict[str, str]) -> str:
    return ",".join(f"dev-{role}:{role}:{key}" for role, key in keys.items())


_bearer = HTTPBearer(auto_error=False, description="API key from GONGDAN_API_KEYS")


async def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller's principal. `async` (like the other cheap dependencies) so FastAPI calls it on the event loop
    rather than handing it to a worker thread on every request."""
    if credentials is None:
        raise HTTPException(401, "missing Authorization: Bearer <key>", headers={"WWW-Authenticate": "Bearer"})
    principal = principal_for(request.app.state.api_keys, credentials.credentials)
    if principal is None:
        raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
    return principal


def principal_for(keys: dict[str, Principal], presented: str) -> Principal | None:
    """Who holds `presented`, compared in constant time; None for an unknown key."""
    for key, principal in keys.items():
        if hmac.compare_digest(key.encode(), presented.encode(errors="replace")):
            return principal
    return None


def require(*roles: Role):
    """Dependency: the caller must hold one of `roles` (admin may do everything)."""

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role is not Role.ADMIN and principal.role not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise HTTPException(403, f"role {principal.role.value} may not do this; allowed: {allowed}")
        return principal

    return check

__all__ = ["ApiKeyError", "Principal", "Role", "authenticate", "parse_api_keys", "require"]
