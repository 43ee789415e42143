"""N-gram language models as SRILM builds them: counting, smoothing, ARPA files, perplexity."""
