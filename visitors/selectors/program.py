"""visitors.selectors.program"""

__all__ = []
