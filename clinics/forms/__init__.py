"""The clinics forms, one module per sub-domain."""
