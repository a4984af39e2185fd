"""One module per article field: each collects candidates with their source, then chooses.

``title``, ``author``, ``date``, ``image`` (the share image and the lead-image choice) and
``body`` (the main content); ``base`` holds what they share. Each module has
``candidates(context, site_value)`` and ``choose(context, site_value) -> FieldChoice``;
what a site module already read enters as a :attr:`~newsmirror.fields.base.Tier.SITE`
candidate. :func:`newsmirror.sites.generic.fill_missing` runs them on a page.
"""
