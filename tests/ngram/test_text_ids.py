"""Text to sentence ids for counting: all lines of a block at once, as line by line."""
import numpy as np
import pytest

from rnnlm_cli.ngram.counts import block_sentence_ids, sentence_id_chunks
from rnnlm_cli.ngram.vocab import NgramVocab

TEXT = ("the cat sat\n\n## a comment line\n<s> the dog </s>\n  spaced\tout  words \n"
        "The Cat\u00a0NBSP\u2003em\n##also comment\n#not comment ##\n</s>\n<s>\nΣΟΦΟΣ λόγος\n"
        "new words at the end")


def line_by_line(text, vocab, add_words):
    """The reference: each line split on its own, words looked up one at a time."""
    ids, lengths = [], []
    for line in text.split("\n"):
        words = line.split()
        if not words or words[0].startswith("##"):
            continue
        sentence = vocab.sentence_ids(words, add_words)
        ids += sentence
        lengths.append(len(sentence))
    return ids, lengths


@pytest.mark.parametrize("setup", ["open", "closed", "lower", "lookup"])
def test_block_ids_match_the_line_by_line_reference(setup):
    def vocab():
        made = NgramVocab(to_lower=setup == "lower")
        if setup == "closed":
            for word in ["the", "cat", "dog", "words"]:
                made.add(word)
            made.closed = True
        return made
    fast, reference = vocab(), vocab()
    add = setup != "lookup"
    ids, lengths = block_sentence_ids(TEXT, fast, add)
    expected_ids, expected_lengths = line_by_line(TEXT, reference, add)
    assert ids.tolist() == expected_ids and lengths.tolist() == expected_lengths
    assert fast.words == reference.words


def test_chunks_end_with_the_sentence_reaching_the_size(tmp_path):
    path = tmp_path / "t.txt"
    lines = [" ".join(f"w{j}" for j in range(i % 7 + 1)) for i in range(500)]
    path.write_text("\n".join(lines) + "\n")
    whole, starts = next(sentence_id_chunks(str(path), NgramVocab(), True))
    chunks = list(sentence_id_chunks(str(path), NgramVocab(), True, chunk_tokens=100))
    assert np.concatenate([c[0] for c in chunks]).tolist() == whole.tolist()
    for ids, chunk_starts in chunks:
        assert ids.size - chunk_starts[-1] <= 9 and ids.size < 100 + 9   # one sentence over
        assert ids[chunk_starts].tolist() == [NgramVocab.START] * chunk_starts.size
    assert min(c[0].size for c in chunks[:-1]) >= 100
    assert sum(c[1].size for c in chunks) == starts.size == 500
