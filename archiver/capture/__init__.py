"""Capture: fetch pages over the network (address policy, recording client, worker pool) and
store each as a new WARC with its extracted text and provenance.

The stage's public face: ``capture_urls`` and ``capture_existing`` (``pages``), the recording
client ``Fetcher`` with its ``FetchOptions`` (``fetch``).
"""

from archiver.capture.fetch import Fetcher, FetchOptions
from archiver.capture.pages import CaptureOptions, CaptureOutcome, capture_existing, capture_urls

__all__ = [
           "CaptureOptions",
           "CaptureOutcome",
           "FetchOptions",
           "Fetcher",
           "capture_existing",
           "capture_urls",
]
