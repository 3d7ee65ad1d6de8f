"""The JSON API under /api/v1: thin handlers over the same service layer the portals use."""
from . import errors
from .core import OPERATIONS, bp

# Importing the endpoint modules registers their operations on the blueprint, in document order.
from . import public, tickets, attachments, directory, help_center, inbound  # noqa: E402,F401
from . import sla_policies, webhooks, reports  # noqa: E402,F401
from . import views  # noqa: E402,F401
from . import macros  # noqa: E402,F401
from . import assistant  # noqa: E402,F401
from . import categories  # noqa: E402,F401
from . import organizations  # noqa: E402,F401
from . import privacy  # noqa: E402,F401

errors.register(bp)

__all__ = ["bp", "OPERATIONS"]
