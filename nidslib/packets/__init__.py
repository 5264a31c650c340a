"""Where packets enter the book (chapter 9): capture files read (``capture``, with
``records`` and ``decode``, into a ``table``) and written (``capture_write``); packets grouped
into flows by the original CICFlowMeter's rules (``flows``, with ``assembly``; the rules are in
``cicflowmeter_rules.md``); their features (``flowmeter``, which the twin uses too) and the
CSV they are written to (``flowcsv``)."""
