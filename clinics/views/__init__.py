"""The clinics pages, one module per sub-domain (routes in clinics/urls.py)."""
