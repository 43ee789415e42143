"""The Dask backend (-dask): a LocalCluster of 2 worker processes, same ARPA bytes."""
import gzip
import io
import shutil

import pytest

from conftest import shared_path
from rnnlm_cli.ngram.bounded import Plan, estimate_bounded
from rnnlm_cli.ngram.counts import count_text
from rnnlm_cli.ngram.rows import FolderStore
from rnnlm_cli.ngram.vocab import NgramVocab
from test_bounded import CONFIGS, in_memory

distributed = pytest.importorskip("distributed")

SMALL = Plan(chunk_tokens=12_000, chunk_entries=40_000, rows_per_part=25_000)
SPLIT = Plan(chunk_tokens=12_000, chunk_entries=40_000, rows_per_part=8_000)   # a heavy word cut


@pytest.fixture(scope="module")
def run():
    from rnnlm_cli.ngram.dask_backend import DaskRun
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield DaskRun(client)


@pytest.mark.parametrize("name", ["kn5-cutoffs", "wb3"])
def test_workers_count_spans_and_estimate_partitions_to_the_same_bytes(run, tmp_path, name):
    text = shared_path("data", "swb-example", "train.txt")
    order, options = CONFIGS[name]
    from rnnlm_cli.ngram.pipeline import SmoothingConfig
    out = io.StringIO()
    estimate_bounded({"text": text}, NgramVocab(), order, SmoothingConfig(**options), SPLIT,
                     FolderStore(str(tmp_path)), out, run=run, workers=run.workers)
    assert run.workers == 2
    assert out.getvalue() == in_memory(count_text(text, NgramVocab(), order), options)


def test_compressed_text_is_counted_here_and_estimated_there(run, tmp_path):
    text = shared_path("data", "swb-example", "train.txt")
    packed = tmp_path / "train.txt.gz"
    with open(text, "rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)
    from rnnlm_cli.ngram.pipeline import SmoothingConfig
    order, options = CONFIGS["kn3-backoff"]
    out = io.StringIO()
    (tmp_path / "work").mkdir()
    estimate_bounded({"text": str(packed)}, NgramVocab(), order, SmoothingConfig(**options),
                     SMALL, FolderStore(str(tmp_path / "work")), out, run=run, workers=2)
    assert out.getvalue() == in_memory(count_text(text, NgramVocab(), order), options)


def test_dask_from_the_command_line_matches_srilm(tmp_path):
    from click.testing import CliRunner
    from rnnlm_cli.cli import main
    train = shared_path("data", "swb-example", "train.txt")
    arpa = tmp_path / "kn5.arpa.gz"
    result = CliRunner().invoke(main, [
        "ngram-count", "-text", train, "-order", "5", "-kndiscount", "-interpolate", "-gt3min",
        "1", "-gt4min", "1", "-lm", str(arpa), "-dask", "local:2", "-temp-dir", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    with gzip.open(arpa, "rt") as ours, gzip.open(shared_path("reference", "srilm",
                                                              "kn5.arpa.gz"), "rt") as ref:
        assert ours.read() == ref.read()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kn5.arpa.gz"]
