"""visitors.selectors.applications"""

__all__ = []
