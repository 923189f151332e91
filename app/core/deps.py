"""FastAPI dependencies shared by every feature router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.core.middleware import session_of


async def get_session(request: Request) -> Session:
    """The request's session; the unit-of-work middleware commits or rolls it back. (No I/O
    here: the session connects on first use, in the handler's thread.)"""
    return session_of(request)


DbSession = Annotated[Session, Depends(get_session)]
