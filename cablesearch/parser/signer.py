"""The signer: the name the drafter put under the last paragraph."""
from __future__ import annotations

import re



_RE_SIGNER = re.compile(r"^([A-Z][A-Z'\-]+(?:\s+[A-Z][A-Z'\-]+){0,2})\s*$")
