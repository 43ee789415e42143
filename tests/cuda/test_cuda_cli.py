"""--device on eval, nbest-rescore and train; -batch on the CPU.  CUDA runs in
Numba's simulator here (conftest), on a tiny vocabulary: the simulator is slow."""
import json
import math
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from rnnlm_cli.cli import main

TRAIN = "the cat sat\nthe dog sat\na cat ran\nthe dog ran on the mat\n" * 20


def run(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cuda")
    (folder / "train.txt").write_text(TRAIN)
    (folder / "valid.txt").write_text("the cat ran\na dog sat\n")
    (folder / "test.txt").write_text("the cat sat on the mat\nthe zebra ran\na dog\n")
    (folder / "lists.txt").write_text("0 the cat sat\n0 a dog sat on\n1 the mat\n1 cat\n")
    return folder


@pytest.fixture(scope="module")
def model(folder):
    path = str(folder / "m.rnn")
    result = run("train", "-rnnlm", path, "-train", str(folder / "train.txt"), "-valid",
                 str(folder / "valid.txt"), "-hidden", "6", "-class", "3", "-independent",
                 "-direct", "0.001", "-bptt", "2", "-q")
    assert result.exit_code == 0, result.output
    return path


def json_eval(model, folder, *extra):
    result = run("eval", "-rnnlm", model, "-test", str(folder / "test.txt"), "-format", "json",
                 *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_eval_on_cuda_equals_cpu(model, folder):
    cpu = json_eval(model, folder, "-debug", "2")
    gpu = json_eval(model, folder, "-debug", "2", "--device", "cuda")
    assert gpu["scored_tokens"] == cpu["scored_tokens"]
    assert gpu["ppl"] == pytest.approx(cpu["ppl"], rel=1e-4)
    for a, b in zip(cpu["word_log10_probs"], gpu["word_log10_probs"]):
        assert (a is None) == (b is None)
        assert a is None or abs(a - b) < 1e-4


@pytest.mark.slow     # CUDA simulator compile time; the kernels are checked in test_cuda_kernels
def test_nbest_on_cuda_equals_cpu(model, folder):
    outputs = []
    for device in ("cpu", "cuda"):
        result = run("nbest-rescore", "-rnnlm", model, "-nbest", str(folder / "lists.txt"),
                     "--device", device, "-q")
        assert result.exit_code == 0, result.output
        outputs.append([float(line) for line in result.stdout.split()])
    assert len(outputs[1]) == 4
    assert outputs[1] == pytest.approx(outputs[0], abs=1e-4)


@pytest.mark.parametrize("args, message", [
    (["eval", "-dynamic", "0.1"], "CPU-only"),
    (["eval", "-exp", "rnnlm", "-independent"], "CPU-only"),
    (["nbest-rescore", "-carry-over"], "CPU-only"),
])
def test_cuda_refuses_cpu_only_modes(model, folder, args, message):
    command, *rest = args
    source = ["-nbest", str(folder / "lists.txt")] if command == "nbest-rescore" else \
        ["-test", str(folder / "test.txt")]
    result = run(command, "-rnnlm", model, *source, *rest, "--device", "cuda")
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


def test_cuda_without_a_gpu_is_one_clear_line(model, folder):
    """With the simulator off and no GPU here, every --device cuda command fails cleanly."""
    environment = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    probe = subprocess.run([sys.executable, "-c", "from numba import cuda; "
                            "print(cuda.is_available())"], capture_output=True, text=True,
                           env=environment)
    if probe.stdout.strip() != "False":
        pytest.skip("a CUDA GPU is present")
    for args in (["eval", "-rnnlm", model, "-test", str(folder / "test.txt")],
                 ["nbest-rescore", "-rnnlm", model, "-nbest", str(folder / "lists.txt")],
                 ["train", "-rnnlm", str(folder / "new.rnn"), "-train",
                  str(folder / "train.txt"), "-max-iter", "1"]):
        done = subprocess.run([sys.executable, "-m", "rnnlm_cli", *args, "--device", "cuda"],
                              capture_output=True, text=True, env=environment)
        assert done.returncode != 0
        assert done.stderr.count("\n") == 1 and "no usable CUDA GPU" in done.stderr
    assert not (folder / "new.rnn").exists()


def test_minibatch_training_learns(folder):
    """-batch trains a model that beats the unigram distribution on held-out text."""
    path = str(folder / "batch.rnn")
    result = run("train", "-rnnlm", path, "-train", str(folder / "train.txt"), "-valid",
                 str(folder / "valid.txt"), "-hidden", "6", "-class", "3", "-bptt", "2",
                 "-batch", "4", "-max-iter", "3")
    assert result.exit_code == 0, result.output
    assert "mini-batch training on cpu" in result.output
    words = TRAIN.split()
    sentences = TRAIN.count("\n")
    counts = {w: words.count(w) for w in set(words)}
    counts["</s>"] = sentences
    test = [w for line in (folder / "test.txt").read_text().splitlines()
            for w in line.split() + ["</s>"] if w in counts]
    unigram_ppl = math.exp(-sum(math.log(counts[w] / (len(words) + sentences)) for w in test)
                           / len(test))
    assert json_eval(path, folder)["ppl"] < 0.8 * unigram_ppl


@pytest.mark.slow     # CUDA simulator compile time; the kernels are checked in test_cuda_kernels
def test_minibatch_training_on_cuda_runs_end_to_end(tmp_path):
    """Train on the (simulated) GPU, then score the model on the CPU."""
    (tmp_path / "train.txt").write_text("the cat sat\na dog ran\n" * 3)
    path = str(tmp_path / "gpu.rnn")
    result = run("train", "-rnnlm", path, "-train", str(tmp_path / "train.txt"), "-hidden", "4",
                 "-class", "2", "-bptt", "2", "-bptt-block", "4", "-batch", "2", "-one-iter",
                 "--device", "cuda")
    assert result.exit_code == 0, result.output
    assert "mini-batch training on cuda" in result.output
    scored = run("eval", "-rnnlm", path, "-test", str(tmp_path / "train.txt"), "-format", "json")
    assert scored.exit_code == 0 and 1 < json.loads(scored.stdout)["ppl"] < 10


def test_an_nce_model_is_refused_on_the_gpu_in_one_line(folder):
    """The full softmax of NCE models has no device kernels: scoring says so."""
    path = str(folder / "nce.rnn")
    trained = run("train", "-rnnlm", path, "-train", str(folder / "train.txt"), "-valid",
                  str(folder / "valid.txt"), "-hidden", "4", "-nce", "3", "-independent",
                  "-max-iter", "1", "-q")
    assert trained.exit_code == 0, trained.output
    for command, source in (("eval", ["-test", str(folder / "test.txt")]),
                            ("nbest-rescore", ["-nbest", str(folder / "lists.txt")])):
        result = run(command, "-rnnlm", path, *source, "--device", "cuda")
        assert result.exit_code != 0, result.output
        assert "--device cuda: the full softmax layer does not support it" in result.output
        assert len(result.output.strip().splitlines()) == 1


@pytest.mark.slow     # CUDA simulator: each kernel launch runs its threads in Python
def test_a_gated_model_trains_and_scores_on_the_gpu(tmp_path):
    """An LSTM model trained on the (simulated) GPU; eval on the GPU equals the CPU's."""
    (tmp_path / "train.txt").write_text("the cat sat\na dog ran\n" * 3)
    path = str(tmp_path / "lstm.rnn")
    result = run("train", "-rnnlm", path, "-train", str(tmp_path / "train.txt"), "-hidden", "4",
                 "-class", "2", "-bptt", "2", "-bptt-block", "4", "-batch", "2", "-one-iter",
                 "-hidden-type", "lstm", "-independent", "--device", "cuda")
    assert result.exit_code == 0, result.output
    assert "mini-batch training on cuda" in result.output
    scores = [run("eval", "-rnnlm", path, "-test", str(tmp_path / "train.txt"), "-format",
                  "json", *extra) for extra in ([], ["--device", "cuda"])]
    assert all(s.exit_code == 0 for s in scores), [s.output for s in scores]
    cpu, gpu = (json.loads(s.stdout)["ppl"] for s in scores)
    assert 1 < cpu < 10 and gpu == pytest.approx(cpu, rel=1e-4)
