"""Talking to the outside world: arXiv and OpenReview metadata, link checks, GitHub enrichment.

* :mod:`.http` — the one place sessions are made: retries with back-off (urllib3 ``Retry``),
  bounded ``Retry-After`` waits, timeouts, a user agent, and one-line error messages;
* :mod:`.arxiv`, :mod:`.openreview`, :mod:`.metadata` — a paper's title, authors and year from
  its identifier, for ``aladin new --arxiv``;
* :mod:`.links` — the concurrent link checker behind ``aladin check-links``;
* :mod:`.github` — repository facts behind ``aladin enrich``; :mod:`.enrichment` holds the
  generated data file and its loader, which need no network (and no ``requests``).

Every remote base URL is configurable (an argument, or an environment variable for the CLI), so
tests point them at a server on 127.0.0.1.
"""
