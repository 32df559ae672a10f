"""WARC: write a capture's records, read a response back, and check any WARC, ARC or WACZ
fail-closed (framing, gzip members, digests, header grammar).

Its public face (imported from the modules named, so that a command loads only what it
needs): ``build_capture`` and ``read_response`` (``records``), ``check_warc``
(``check``) and the ``WarcReport`` it returns (``verdict``).
"""
