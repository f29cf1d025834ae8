"""Where the JWT signing secret comes from: env locally, Secrets Manager in AWS."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from core.errors import ParleyError
from infra.private import private_folder
from infra.settings import Settings

SECRET_MAX_AGE_SECONDS = 300


class SecretUnavailable(ParleyError):
    code = "secret_unavailable"


def jwt_secret(settings: Settings) -> str:
    """PARLEY_JWT_SECRET, else the Secrets Manager secret PARLEY_JWT_SECRET_ARN (cached 5 min by Powertools,
    so a rotation is picked up without a redeploy), else outside Lambda a per-checkout secret file."""
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.jwt_secret_arn:
        from aws_lambda_powertools.utilities import parameters  # imports boto3: only on this path

        value = parameters.get_secret(settings.jwt_secret_arn, max_age=SECRET_MAX_AGE_SECONDS)
        if not value:
            raise SecretUnavailable("The JWT secret in Secrets Manager is empty.")
        return value if isinstance(value, str) else value.decode()
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        raise SecretUnavailable("Set PARLEY_JWT_SECRET_ARN (or PARLEY_JWT_SECRET) for the function.")
    return _local_secret(settings.state_dir / "jwt-secret")


def _local_secret(path: Path) -> str:
    if path.exists():
        path.chmod(0o600)  # one left readable by an older version is closed up
        return path.read_text().strip()
    private_folder(path.parent)
    value = secrets.token_urlsafe(48)
    # Created with owner-only permissions, atomically, so two processes starting together agree.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
