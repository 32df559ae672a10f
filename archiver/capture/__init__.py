"""Capture: fetch pages over the network (address policy, recording client, worker pool) and
store each as a new WARC with its extracted text and provenance.

Its public face (imported from the modules named, so that a command loads only what it
needs): ``capture_urls`` and ``capture_existing`` (``pages``), the recording
client ``Fetcher`` with its ``FetchOptions`` (``fetch``).
"""
