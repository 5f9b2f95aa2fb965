"""Performance record of the book's computational core: run ``python -m bench`` (``make bench``)."""
