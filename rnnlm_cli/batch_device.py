"""The hidden layer's part of mini-batch training on the GPU for the layers trained
through their device cell (kernels/cuda/cells.py: the gated layers): LayerSteps'
algorithm (batch_layers.py) with the cell's forward and unfold on device arrays,
and ElmanSteps' output layer, start and transfers on CudaOps (all output updates of
a block together).  Imported only with --device cuda.
"""
from __future__ import annotations

import numpy as np

from .batch_layers import ElmanSteps, step_resets, unfold_window
from .kernels.cuda import cells, linalg, rnn
from .kernels.cuda.backend import CudaOps


class DeviceStep:
    """One step of a block on the device: the previous words, the states before and
    after, the cell's cache, keeps (0: the state was reset, no error flows back)."""

    def __init__(self, words, state, new, cache, keeps):
        self.words, self.state, self.new, self.cache, self.keeps = words, state, new, cache, keeps


class CellSteps(ElmanSteps):
    """batch_train.training_pass's hidden-layer steps on the device for layers trained
    through their device cell (batch_layers.LayerSteps' algorithm on the GPU); the
    output layer, start and transfers are ElmanSteps' on CudaOps (all output updates
    of a block together)."""

    def __init__(self, net):
        super().__init__(net, CudaOps(net))

    @property
    def cell(self):
        return self.ops.dev.cell

    def forward_block(self, state, inputs: np.ndarray, independent: bool):
        cell, steps = self.cell, []
        count = inputs.shape[1]
        width = cell.readout(state).shape[1]
        readouts = self.ops.empty((inputs.shape[0], count, width))
        for t, words in enumerate(inputs):
            resets, keeps = step_resets(words, independent)
            if resets is not None:
                state = self.ops.copy(state)
                rnn.fill_rows(state, self.ops.asarray(resets), self.net.sentence_start_hidden)
            on_device = self.ops.asarray(words)
            new = self.ops.empty(state.shape)
            cache = cell.forward(on_device, state, new)
            cells.copy(cell.readout(new), readouts[t])
            steps.append(DeviceStep(on_device, state, new, cache, self.ops.asarray(keeps)))
            state = new
        return steps, readouts.reshape(inputs.shape[0] * count, width), state

    def backward(self, window, errors, propagate: bool, cutoff: float, scale: float,
                 l2: float):
        cell = self.cell
        grads = cell.zero_grads()

        def back(step, error, carried):
            err = carried if carried is not None else cells.zeros(step.state.shape)
            if error is not None:
                linalg.scale_add(cell.readout(err), error, 1.0, 1.0)
            return cell.backward(step.words, step.state, step.new, step.cache, err, grads)

        def carry(step, e_prev):
            linalg.clip_mask(e_prev, cutoff, step.keeps)
            return e_prev

        d_inputs = unfold_window(window, errors, propagate, back, carry)
        cell.apply(grads, [(step.words, d_x) for step, d_x in zip(window, d_inputs)], scale,
                   l2)
