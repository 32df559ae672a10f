"""Benchmark: sealing a collection and verify's custody check of it, without a TSA.

Run from the repository root: ``python -m benchmarks.bench_custody [--sources N]``. Builds a
collection of N received texts in a temp folder, seals it with a fresh key, checks custody
unchanged, then again after every manifest changed (each loaded and compared; as verify
calls it, with fixity verdicts that no file failed, so no file is hashed again).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from archiver.collection import Collection
from archiver.custody.check import check_custody
from archiver.custody.keys import load_private_key, new_key
from archiver.custody.seal import make_seal
from archiver.custody.trust import Trust, TrustFile
from archiver.manifest import Claim, Metadata, Status, load_manifest, save_manifest
from archiver.sources import add_source


def main() -> None:
    """Print the time to seal, to check custody unchanged, and after every manifest changed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        collection = Collection.init(base / "collection")
        for i in range(args.sources):
            text = base / f"t{i}.txt"
            text.write_text(f"The text of source {i}.\n", encoding="utf-8")
            url = Claim(value=f"https://example.org/{i}", status=Status.INFERRED)
            add_source(collection, text, f"s{i}", Metadata(url=url), received_from="bench")
        key = new_key(collection, "bench", base / "bench.key", None)
        # a trust file of the run's own that pins the key: the user's is neither read nor
        # written
        trust = Trust(TrustFile(base / "trust.json", keys={key.fingerprint: "bench"}))
        private = load_private_key(base / "bench.key", None)
        start = time.perf_counter()
        make_seal(collection, key, private, tsas=[], roots=[])
        sealed = time.perf_counter()
        check_custody(collection, collection.ids(), {}, trust)  # as verify calls it
        unchanged = time.perf_counter()
        for source_id in collection.ids():
            path = collection.manifest_path(source_id)
            manifest = load_manifest(path)
            manifest.metadata.title = Claim(value="changed", status=Status.INFERRED)
            save_manifest(path, manifest)
        before = time.perf_counter()
        check_custody(collection, collection.ids(), {}, trust)  # as verify calls it
        changed = time.perf_counter()
    print(f"{args.sources} sources: seal {sealed - start:.2f} s, custody check "
          f"{unchanged - sealed:.2f} s unchanged, {changed - before:.2f} s with every "
          "manifest changed")


if __name__ == "__main__":
    main()
