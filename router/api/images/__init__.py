"""The OpenAI Images API (``/v1/images/generations``, ``/v1/images/edits``): ``routes``, ``requests``."""
