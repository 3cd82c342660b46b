"""Who is using this session: Streamlit's OIDC login, a trusted proxy's header, or the local user.

Order of precedence
-------------------
1. ``st.login`` (OpenID Connect), when the deployment configures an ``[auth]`` section in
   ``.streamlit/secrets.toml``: the logged-in user's e-mail (else their ``sub``). A visitor who is
   not logged in is asked to log in and sees nothing else.
2. The request header named by the environment variable ``MINERAL_ATLAS_USER_HEADER`` (for example
   ``X-Forwarded-User``). Off by default. Safe **only** behind an authenticating reverse proxy that
   sets this header itself and strips it from what clients send: anyone who can reach the app
   directly could otherwise claim any name.
3. Neither: the single local user of ``make run`` (:data:`LOCAL_USER`).
"""

from __future__ import annotations

import os
import re

import streamlit as st

#: The user of a deployment without login or proxy header (``make run`` on one's own machine).
LOCAL_USER = "local"
#: Environment variable naming the trusted proxy's user header.
USER_HEADER_VARIABLE = "MINERAL_ATLAS_USER_HEADER"
#: A user name as stored with the layers: printable, no control characters, bounded length.
_VALID = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


def auth_configured() -> bool:
    """True when ``.streamlit/secrets.toml`` has an ``[auth]`` section (OIDC login)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file (StreamlitSecretNotFoundError): no login is set up
        return False


def current_user() -> str:
    """The user of this session (see the module docstring); stops the page for a visitor who must log in."""
    if auth_configured():
        if not st.user.is_logged_in:
            st.title("Mineral Atlas")
            st.write("Log in to see your team's atlas.")
            st.button("Log in", on_click=st.login, key="login")
            st.stop()
        who = st.user.get("email") or st.user.get("sub")
        return _checked(str(who), "the login's e-mail")
    header = os.environ.get(USER_HEADER_VARIABLE, "").strip()
    if header:
        value = st.context.headers.get(header, "").strip()
        if not value:
            st.error(
                f"This server takes the user from the {header!r} header ({USER_HEADER_VARIABLE}), "
                "and the request has none: open the atlas through the team's login proxy."
            )
            st.stop()
        return _checked(value, f"the {header!r} header")
    return LOCAL_USER


def _checked(name: str, where: str) -> str:
    if not _VALID.match(name):
        st.error(f"The user name from {where} is not usable (empty, too long or control characters).")
        st.stop()
    return name
