"""An RNN model approximated by a backoff n-gram model, for first-pass decoders that
read only ARPA files (Deoras et al. 2011's variational approximation): sample a
large text from the RNN, estimate a modified Kneser-Ney model on it, prune it.

Estimation is ngram-count's -kndiscount -interpolate with its default cut-offs and
-discount-fallback (a small vocabulary's sample can lack the count-of-counts the
discounts need), over the RNN's whole vocabulary (words the sample missed keep a
share of the unigram mass instead of being scored as the unknown word).  The sampled text is written as it is drawn to a temporary file (never held in
memory); -threads N runs N samplers of their own streams and seeds, each into its
own file, and the files are counted in thread order.  Counting and estimation are
ngram-count's (rnnlm_cli.ngram), so the count tables, not the text, bound memory;
with ``memory`` they are ngram-count -memory's runs and partitions, in the same
temporary folder as the text.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .errors import RnnlmError
from .textio import UTF8, TextEncoding


@dataclass
class ApproxConfig:
    tokens: int                 # tokens to sample, </s> included
    order: int = 5
    prune: float = 0.0          # entropy-pruning threshold (0: none)
    threads: int = 1
    streams: int = 64           # streams per sampler, drawn together
    seed: int = 1
    unk: bool = False           # keep the literal <unk> of a model's vocabulary as a word
    memory: int = 0             # bytes of counts held at a time (0: all counts in memory)


def approximate(model_path: str, lm_path: str, config: ApproxConfig,
                temp_dir: str | None = None, encoding: TextEncoding = UTF8) -> dict:
    """Sample ``config.tokens`` tokens from the RNN model at ``model_path`` and write the
    n-gram model estimated on them to ``lm_path`` (ARPA, atomically); returns the
    n-gram counts per order and the sampled sentences' number."""
    from .api import load
    from .fileio import text_output
    from .ngram.arpa import write_arpa
    from .ngram.counts import count_text
    from .ngram.pipeline import SmoothingConfig, estimate_backoff_model
    from .ngram.prune import prune
    from .ngram.vocab import NgramVocab

    folder = temp_dir or os.path.dirname(os.path.abspath(lm_path))
    try:
        scratch = tempfile.TemporaryDirectory(prefix=".ngram-approx.", dir=folder)
    except OSError as exc:
        raise RnnlmError(f"{folder}: cannot write the sampled text here "
                         f"({exc.strerror or exc})") from None
    model = load(model_path)
    smoothing = SmoothingConfig(kndiscount={0: True}, interpolate={0: True},
                                discount_fallback=True)
    with scratch as work:
        text = os.path.join(work, "sampled.txt")
        sentences = _sample_to(text, model, config, work, encoding)
        vocab = NgramVocab(unk_is_word=config.unk)
        for word in model.vocab.words:      # the RNN's words, sampled or not (SRILM's -vocab)
            vocab.add(word)
        if config.memory:
            ngrams = _estimate_bounded(text, vocab, config, smoothing, work, lm_path, encoding)
            return {"sentences": sentences, "ngrams": ngrams}
        counts = count_text(text, vocab, config.order, encoding)
    lm, _ = estimate_backoff_model(counts, smoothing)
    if config.prune > 0:
        lm = prune(lm, config.prune)
    with text_output(lm_path, encoding) as handle:
        write_arpa(lm, handle)
    return {"sentences": sentences, "ngrams": lm.counts()}


def _estimate_bounded(text, vocab, config: ApproxConfig, smoothing, work: str, lm_path: str,
                      encoding) -> list[int]:
    """ngram-count -memory's path over the sampled text; the n-grams per order."""
    from .fileio import text_output
    from .ngram.bounded import Plan, count_in_partitions, estimate_model
    from .ngram.prune import prune
    from .ngram.rows import FolderStore
    folder = os.path.join(work, "counts")
    os.mkdir(folder)
    job = count_in_partitions({"text": text}, vocab, config.order, smoothing,
                              Plan.for_budget(config.memory), FolderStore(folder), encoding)
    with text_output(lm_path, encoding) as handle:
        estimate_model(job, handle, prune=(lambda model: prune(model, config.prune))
                       if config.prune > 0 else None)
    return job.sizes


def _sample_to(text: str, model, config: ApproxConfig, work: str, encoding) -> int:
    """Sample into ``text`` (one file per thread, joined in thread order); the number of
    sentences.  An interrupt (Ctrl-C) stops every sampler at its next sentence."""
    import threading
    from .sample import StreamSampler
    stop = threading.Event()

    shares = [config.tokens // config.threads + (k < config.tokens % config.threads)
              for k in range(config.threads)]

    def sample(part: int) -> int:
        sampler = StreamSampler(model, config.streams, seed=config.seed + 7919 * part)
        count = 0
        with open(os.path.join(work, f"part{part}.txt"), "w", encoding=encoding.encoding,
                  errors=encoding.errors) as out:
            for line in sampler.sentences(shares[part]):
                if stop.is_set():
                    break
                out.write(line + "\n")
                count += 1
        return count

    with ThreadPoolExecutor(config.threads) as pool:
        try:
            counts = list(pool.map(sample, range(config.threads)))
        except BaseException:
            stop.set()
            raise
    with open(text, "wb") as joined:
        for part in range(config.threads):
            with open(os.path.join(work, f"part{part}.txt"), "rb") as piece:
                shutil.copyfileobj(piece, joined)
    return sum(counts)
