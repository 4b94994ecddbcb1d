"""The caller's data, checked: tables (``table``) and images (``images``)."""
