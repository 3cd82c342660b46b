"""One module per tab of the app; each has ``render(ctx: PageContext)`` (a tab's helpers: ``_<tab>_*.py``)."""
