"""Languages: the gettext catalogs in ``locales/``, interface strings and the YAML extractor."""
