"""Where packets enter the book (chapter 9): capture files read (``capture``) and written
(``capture_write``), and CICFlowMeter's flow features computed from packets (``flowmeter``,
which the twin uses to make its flows)."""
