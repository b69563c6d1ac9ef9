"""Clover's program library: the sites and their regions (catalog), the typed stack configuration,
global names and the stack's export contract. Used by ``__main__.py`` and ``components/``; the
checker (``clover``) never imports it, it judges any program by its packs alone."""
