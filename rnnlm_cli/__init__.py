"""rnnlm: recurrent neural network language models for speech and translation pipelines."""
__version__ = "0.1.0"
