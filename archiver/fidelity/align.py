"""Alignment: which passages of a stored text and of its original are the same passage, in
order; identical passages anchor, the rest pair by likeness, and a paragraph split in two on
either side is joined again."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from archiver.fidelity.passages import Passage

# Two passages are the same passage, edited, when fuzz.ratio reaches this; below it, one was
# added and the other lost. Low enough for a paragraph cut in half (ratio about 67).
PAIR_CUTOFF = 60.0


@dataclass
class Match:
    """Aligned passages: indices into the stored and original passages; one side may be empty."""

    stored: list[int]
    original: list[int]


def align(stored: list[Passage], original: list[Passage]) -> list[Match]:
    """Align two passage lists in order: identical passages anchor, the rest pair by similarity.

    Identical passages are found by an Indel alignment of passage keys (linear in practice);
    only the runs between them are scored pairwise, with rapidfuzz's cdist.
    """
    ids: dict[str, int] = {}
    stored_ids = [ids.setdefault(p.key, len(ids)) for p in stored]
    original_ids = [ids.setdefault(p.key, len(ids)) for p in original]
    matches: list[Match] = []
    s0 = o0 = 0  # start of the current run of differing passages
    for op in [*Indel.opcodes(stored_ids, original_ids), None]:
        if op is not None and op.tag != "equal":
            continue
        s1, o1 = (op.src_start, op.dest_start) if op else (len(stored), len(original))
        matches.extend(_pair_run(stored, original, s0, s1, o0, o1))
        if op is not None:
            count = op.src_end - op.src_start
            matches.extend(Match([op.src_start + k], [op.dest_start + k]) for k in range(count))
            s0, o0 = op.src_end, op.dest_end
    return matches


def _pair_run(
    stored: list[Passage], original: list[Passage], s0: int, s1: int, o0: int, o1: int
) -> list[Match]:
    """Pair the differing passages of one run, most similar first, never crossing."""
    pairs: list[tuple[int, int]] = []
    if s0 < s1 and o0 < o1:
        # numpy (a twentieth of a second to load) only where passages differ: most verify
        # runs compare texts equal to their articles and never get here
        import numpy as np

        scores = process.cdist(
            [p.key for p in stored[s0:s1]],
            [p.key for p in original[o0:o1]],
            scorer=fuzz.ratio,
            score_cutoff=PAIR_CUTOFF,
        )
        candidates = np.argwhere(scores >= PAIR_CUTOFF)
        order = np.argsort(-scores[candidates[:, 0], candidates[:, 1]], kind="stable")
        used_s: set[int] = set()
        used_o: set[int] = set()
        for i, j in candidates[order].tolist():
            if i in used_s or j in used_o:
                continue
            at = bisect.bisect(pairs, (i, j))
            if (at and pairs[at - 1][1] > j) or (at < len(pairs) and pairs[at][1] < j):
                continue  # would cross an accepted pair
            pairs.insert(at, (i, j))
            used_s.add(i)
            used_o.add(j)
    matches: list[Match] = []
    next_s, next_o = 0, 0
    for i, j in [*pairs, (s1 - s0, o1 - o0)]:
        matches.extend(Match([s0 + k], []) for k in range(next_s, i))
        matches.extend(Match([], [o0 + k]) for k in range(next_o, j))
        if i < s1 - s0:
            matches.append(Match([s0 + i], [o0 + j]))
        next_s, next_o = i + 1, j + 1
    return _join_split_passages(matches, stored, original)


def _join_split_passages(
    matches: list[Match], stored: list[Passage], original: list[Passage]
) -> list[Match]:
    """Join an unpaired passage to the pair beside it when that makes the pair more alike:
    one paragraph broken in two (a split link) on either side is still one passage."""
    at = 0
    while at < len(matches):
        lone = matches[at]
        if lone.stored and lone.original:
            at += 1
            continue
        side = "stored" if lone.stored else "original"
        step = 1
        for near, after in ((at - 1, True), (at + 1, False)):
            if not 0 <= near < len(matches):
                continue
            pair = matches[near]
            if not (pair.stored and pair.original):
                continue
            grown = Match(list(pair.stored), list(pair.original))
            ids = getattr(grown, side)
            ids[len(ids) if after else 0 : len(ids) if after else 0] = getattr(lone, side)
            if ids != sorted(ids) or ids[-1] - ids[0] != len(ids) - 1:
                continue  # only neighbours in their own text join
            if _similarity(grown, stored, original) > _similarity(pair, stored, original):
                matches[near] = grown
                del matches[at]
                # look again from the grown pair: a paragraph broken in three joins twice
                step = 0 if after else -1
                break
        at = max(at + step, 0)
    return matches


def _similarity(match: Match, stored: list[Passage], original: list[Passage]) -> float:
    return fuzz.ratio(joined(stored, match.stored).key, joined(original, match.original).key)


def joined(passages: list[Passage], indices: list[int]) -> Passage:
    """The passages at ``indices`` as one passage."""
    whole = passages[indices[0]]
    for i in indices[1:]:
        whole = whole.joined(passages[i])
    return whole
