"""Where flows enter the book: CICIDS2017's facts (``schema``), its CSV files (``rawcsv``),
the data home, the cache and the loaders every chapter starts from (``datasets``), and
NSL-KDD / KDD Cup 99 (``kdd``, chapter 8)."""
