"""-average epoch: an epoch's result is the mean of the weights along it (averaged SGD).

Per-word SGD at a fixed rate ends an epoch wherever its last steps took it, scattered
around a minimum by an amount the rate sets; rnnlm's schedule narrows the scatter by
halving the rate every epoch, which takes many epochs.  The mean of the weights
sampled SAMPLES times along the epoch lies nearer the centre at once (PTB, -hidden 100
-hs, rate 0.1: validation PPL 190.0 for the mean of the sixth epoch against 227.9 for
its last weights; with rnnlm's schedule on the means, test PPL 168.05 after 10 epochs,
where the last weights under faster-rnnlm's schedule reached 171.27 after 13).

Training goes on from the last weights (the iterate), not from the mean: going on from
the mean learnt more slowly (validation PPL 211.9 against 196.1 after five epochs).
So while training runs there are two sets of weights: the network holds the iterate
during a pass and the mean between passes (validated, saved, scored).  The model file
keeps the iterate beside the mean until training finishes (Model.iterate), and a
mid-epoch checkpoint keeps the partial sums (Checkpoint.average), so that a resumed run
goes on bit for bit.  Averaged: every trained array but the scoring start state.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

SAMPLES = 50                # samples of the weights along an epoch
NOT_AVERAGED = ("h_init",)


def averaged_arrays(net) -> dict:
    """The network's arrays that are averaged (and kept as the iterate)."""
    return {name: array for name, array in net.weights().items() if name not in NOT_AVERAGED}


def sample_every(tokens: int) -> int:
    """Training words between two samples of an epoch of ``tokens`` words."""
    return max(tokens // SAMPLES, 1)


class EpochMean:
    """Running float64 sums of a network's weights, sampled as a pass crosses every
    multiple of ``every`` words (and at its end)."""

    def __init__(self, net, every: int, saved: Optional[dict] = None):
        self.net, self.every = net, every
        if saved is None:
            self.sums = {name: np.zeros(array.shape, np.float64)
                         for name, array in averaged_arrays(self.net).items()}
            self.count, self.done = 0, 0
        else:
            self.sums, self.count, self.done = saved["sums"], saved["count"], saved["done"]

    def progress(self, done: int):
        """The pass has trained ``done`` words: sample if it crossed a multiple."""
        if done // self.every > self.done // self.every:
            self._add()
        self.done = done

    def _add(self):
        for name, array in averaged_arrays(self.net).items():
            self.sums[name] += array
        self.count += 1

    def saved(self) -> dict:
        """What a mid-epoch checkpoint keeps (copies)."""
        return {"sums": {name: s.copy() for name, s in self.sums.items()},
                "count": self.count, "done": self.done}

    def finish(self) -> dict:
        """The mean over the pass (the final weights included), as float32 arrays."""
        if self.count == 0 or self.done % self.every:
            self._add()
        return {name: (total / self.count).astype(np.float32)
                for name, total in self.sums.items()}


class Averaging:
    """What the epoch loop (training.train) does for -average epoch; inert when off.

    begin_run takes a resumed model's stored iterate; begin_pass puts the iterate back
    in the network and starts a mean (or a checkpoint's partial one); progress
    samples; end_pass leaves the mean in the network and keeps the iterate aside, for
    the file and the next pass; a rejected epoch drops it (training goes on from the
    restored mean)."""

    def __init__(self, model, enabled: bool, tokens: int):
        self.model, self.enabled = model, enabled
        self.every = sample_every(tokens)
        self.mean: Optional[EpochMean] = None
        self.iterate: Optional[dict] = None

    def begin_run(self):
        self.iterate, self.model.iterate = self.model.iterate, None

    def begin_pass(self, resume):
        if self.iterate is not None:
            self.model.network.restore(self.iterate)
            self.iterate = None
        if self.enabled:
            saved = resume.average if resume is not None else None
            self.mean = EpochMean(self.model.network, self.every, saved)

    def report_every(self, chunk: int) -> int:
        """Words the per-word trainer may train between two progress reports (samples
        fall on reports)."""
        return min(chunk, self.every) if self.enabled else chunk

    def progress(self, done: int):
        if self.mean is not None:
            self.mean.progress(done)

    def checkpoint_state(self) -> Optional[dict]:
        return self.mean.saved() if self.mean is not None else None

    def end_pass(self):
        if self.mean is not None:
            self.iterate = {name: array.copy()
                            for name, array in averaged_arrays(self.model.network).items()}
            self.model.network.restore(self.mean.finish())
            self.mean = None

    def after_schedule(self, rejected: bool):
        if rejected:
            self.iterate = None

    def stored_iterate(self) -> Optional[dict]:
        """The iterate the model file keeps beside the mean (none once training ends)."""
        return None if self.model.state.finished else self.iterate
