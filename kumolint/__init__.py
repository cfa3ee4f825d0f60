"""kumolint: a static linter for KumoMTA, KumoProxy and Nginx deployment repositories."""

from __future__ import annotations

__version__ = "0.1.0"
