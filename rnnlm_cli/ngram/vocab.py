"""SRILM's vocabulary conventions for n-gram models.

Every vocabulary holds ``<s>``, ``</s>``, the unknown-word token (``<unk>``,
or the ``-map-unk`` name) and ``-pau-``.  ``<s>`` and ``-pau-`` are
*non-events*: never predicted.  The unknown word is a non-event too unless
the model is open-vocabulary (``-unk``).  With a closed vocabulary (``-vocab``
file) other words map to the unknown word; otherwise every new word is added.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..textio import UTF8, TextEncoding, text_lines

SENTENCE_START, SENTENCE_END, UNKNOWN, PAUSE = "<s>", "</s>", "<unk>", "-pau-"


class NgramVocab:
    START, END, UNK, PAU = 0, 1, 2, 3

    def __init__(self, unk_is_word: bool = False, unk_token: str = UNKNOWN,
                 to_lower: bool = False):
        self.words = [SENTENCE_START, SENTENCE_END, unk_token, PAUSE]
        self.index = {w: i for i, w in enumerate(self.words)}
        self.unk_is_word = unk_is_word
        self.to_lower = to_lower
        self.closed = False

    def __len__(self):
        return len(self.words)

    def normalise(self, word: str) -> str:
        return word.lower() if self.to_lower else word

    def add(self, word: str) -> int:
        word = self.normalise(word)
        index = self.index.get(word)
        if index is None:
            index = len(self.words)
            self.words.append(word)
            self.index[word] = index
        return index

    def id_of(self, word: str) -> int:
        """Id for counting: new words are added unless the vocabulary is closed."""
        if self.closed:
            return self.index.get(self.normalise(word), self.UNK)
        return self.add(word)

    def lookup(self, word: str) -> int:
        """Id for scoring: unknown words are the unknown-word token."""
        return self.index.get(self.normalise(word), self.UNK)

    def read_vocab_file(self, path: str, encoding: TextEncoding = UTF8):
        """Closed vocabulary from a file: the first field of each non-blank line.

        A word listed twice is refused: such files are usually two lists pasted
        together by mistake.
        """
        seen = set()
        for number, line in text_lines(path, encoding):
            fields = line.split()
            if fields:
                if fields[0] in seen:
                    raise InputError(f"{path}:{number}: {fields[0]!r} is listed twice")
                seen.add(fields[0])
                self.add(fields[0])
        self.closed = True

    def byte_order_ranks(self) -> np.ndarray:
        """Each word id's position in byte (code point) order of the words: the order
        SRILM lists words in, in ARPA and count files."""
        return np.argsort(np.argsort(np.array(self.words, dtype=object))).astype(np.int64)

    def nonevent_mask(self) -> np.ndarray:
        mask = np.zeros(len(self.words), dtype=bool)
        mask[[self.START, self.PAU]] = True
        if not self.unk_is_word:
            mask[self.UNK] = True
        return mask

    @property
    def event_count(self) -> int:
        """Words that can be predicted: SRILM's vocabSize for the uniform distribution."""
        return int(np.count_nonzero(~self.nonevent_mask()))

    def sentence_ids(self, words: list[str], add_words: bool) -> list[int]:
        """<s> w1 ... wn </s> as ids (boundary tokens added unless already present)."""
        convert = self.id_of if add_words else self.lookup
        ids = [convert(w) for w in words]
        if not ids or ids[0] != self.START:
            ids.insert(0, self.START)
        if ids[-1] != self.END:
            ids.append(self.END)
        return ids

