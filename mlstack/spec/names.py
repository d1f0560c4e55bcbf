"""Names: what an environment name may be (a name, never a path)."""

from __future__ import annotations

import re

from mlstack.errors import UsageError

DNS_LABEL = r"^[a-z]([a-z0-9-]*[a-z0-9])?$"
NAME_MAX = 24  # project and env prefix every resource name; longer ones overflow the clouds' name limits
_LABEL = re.compile(DNS_LABEL)


def check_env_name(name: str, flag: str = "--env") -> str:
    """``name`` if it can name an environment (the file ``<stacks-dir>/<name>.yaml``).

    Raises:
        UsageError: a path (``../x``, ``a/b``), an empty or over-long name, or other characters; the message
            shows the value escaped and cut short.
    """
    if isinstance(name, str) and len(name) <= NAME_MAX and _LABEL.match(name):
        return name
    from mlstack.escape import printable

    shown = printable(repr(name) if isinstance(name, str) else name, 60)
    why = "is a path" if isinstance(name, str) and ("/" in name or "\\" in name or name.startswith(".")) else "is not a name"
    raise UsageError(f"{flag} {shown} {why}: an environment is named, not located. Use a lowercase DNS label of at "
                     f"most {NAME_MAX} characters (letters, digits and '-', starting with a letter), e.g. staging; "
                     "its file is <stacks-dir>/<name>.yaml (choose the folder with --stacks-dir)")
