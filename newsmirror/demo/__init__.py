"""An offline demo: mirror a small bundled news site with ``python -m newsmirror.demo``."""
