"""visitors.selectors.insights"""

__all__ = []
