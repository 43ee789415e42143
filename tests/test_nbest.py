"""N-best rescoring: formats, modes and outputs."""
import math

import numpy as np
import pytest
from click.testing import CliRunner

from rnnlm_cli.batch import sentence_start_state
from rnnlm_cli.cli import main
from rnnlm_cli.formats import nbest as formats
from rnnlm_cli.model import Model
from rnnlm_cli.nbest import RescoreOptions, Rescorer

LISTS = "1 THE CAT\n1 THE CAT SAT\n1 A CAT\n2 DOG\n2 THE DOG RAN FAST\n3\n"


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nb")
    (folder / "t.txt").write_text("THE CAT SAT\nA DOG RAN\nTHE DOG SAT\nA CAT RAN\n" * 20)
    path = str(folder / "m.rnn")
    result = CliRunner().invoke(main, ["train", "-rnnlm", path, "-train", str(folder / "t.txt"),
                                       "-hidden", "6", "-class", "3", "-max-iter", "2", "-q",
                                       "-direct", "0.01"])
    assert result.exit_code == 0
    return path


def run(*args, stdin=None):
    return CliRunner().invoke(main, ["nbest-rescore", *args], input=stdin)


def sentence_score(model, words, start, penalty=-5.0):
    """Score one hypothesis on its own with the sequential scorer."""
    ids = np.array([model.vocab.index.get(w, -1) for w in words] + [0], np.int32)
    ws = model.network.workspace()
    ws.start(start)
    logp = model.network.score(ids, ws)
    return float(np.sum(np.where(ids >= 0, logp, penalty)))


def test_independent_scores_equal_scoring_each_hypothesis_alone(model_path, tmp_path):
    (tmp_path / "l.txt").write_text(LISTS)
    out = run("-rnnlm", model_path, "-nbest", str(tmp_path / "l.txt")).stdout.split()
    model = Model.load(model_path)
    start = sentence_start_state(model.network)
    expected = [sentence_score(model, line.split()[1:], start) for line in LISTS.splitlines()]
    assert len(out) == 6
    assert [float(x) for x in out] == pytest.approx(expected, abs=1e-5)
    assert "ZEBRA" not in model.vocab.index
    with_oov = run("-rnnlm", model_path, "-nbest", "-", "-oov-penalty", "-7",
                   stdin="1 THE ZEBRA\n").stdout
    assert float(with_oov) == pytest.approx(sentence_score(model, ["THE", "ZEBRA"], start, -7),
                                            abs=1e-5)


def test_carry_over_follows_rnnlm(model_path):
    """A list starts from the state after the previous list's first hypothesis."""
    model = Model.load(model_path)
    rescorer = Rescorer(model, RescoreOptions(carry_over=True))
    lists = list(formats.read_lists_from_text(LISTS, "rnnlm"))
    got = [s for _, scores in rescorer.rescore(lists) for s in scores]
    net = model.network
    ws = net.workspace()
    ws.start(sentence_start_state(net))
    carry, expected = ws.h_prev.copy(), []
    for nbest in lists:
        start = carry.copy()
        for i, hyp in enumerate(nbest.hyps):
            ws.h_prev[:] = start
            ids = np.array([model.vocab.index.get(w, -1) for w in hyp.words] + [0], np.int32)
            logp = net.score(ids, ws)
            expected.append(float(np.sum(np.where(ids >= 0, logp, -5.0))))
            if i == 0:
                carry = ws.h_prev.copy()
    assert got == pytest.approx(expected, abs=1e-9)
    independent = [s for _, scores in Rescorer(model, RescoreOptions()).rescore(lists)
                   for s in scores]
    assert independent != pytest.approx(got, abs=1e-4)


def test_threads_and_batches_keep_input_order(model_path, tmp_path):
    lines = "".join(f"{i} THE CAT SAT\n{i} A DOG\n{i} THE DOG RAN\n" for i in range(300))
    (tmp_path / "l.txt").write_text(lines)
    one = run("-rnnlm", model_path, "-nbest", str(tmp_path / "l.txt")).stdout
    many = run("-rnnlm", model_path, "-nbest", str(tmp_path / "l.txt"), "-threads", "2",
               "-batch", "7").stdout
    assert one.count("\n") == 900 and many == one


@pytest.mark.parametrize("lists", ["1-1 THE CAT SAT\n1-2 CAT THE SAT\n2-1 A DOG RAN\n",
                                   "1 THE CAT SAT\n1 CAT THE SAT\n2 A DOG RAN\n"],
                         ids=["kaldi", "rnnlm"])
def test_best_output_reranks_with_weights(model_path, tmp_path, lists):
    """Kaldi lists name their hypotheses; the k-th of rnnlm list U is U-k in cost files."""
    (tmp_path / "l.txt").write_text(lists)
    (tmp_path / "ac").write_text("1-1 100\n1-2 0\n2-1 5\n")
    best = run("-rnnlm", model_path, "-nbest", str(tmp_path / "l.txt"), "-output", "best",
               "-ac-cost", str(tmp_path / "ac")).stdout.splitlines()
    assert best == ["1 CAT THE SAT", "2 A DOG RAN"]          # the acoustic cost dominates
    best = run("-rnnlm", model_path, "-nbest", str(tmp_path / "l.txt"), "-output", "best",
               "-ac-cost", str(tmp_path / "ac"), "-ac-scale", "0").stdout.splitlines()
    assert best[0] == "1 THE CAT SAT"                        # the RNN prefers word order


def test_costs_missing_or_for_lists_with_their_own_scores_are_errors(model_path, tmp_path):
    (tmp_path / "l.txt").write_text("1 THE CAT SAT\n1 CAT THE SAT\n2 A DOG RAN\n")
    (tmp_path / "short").write_text("1-1 100\n1-2 0\n")
    missing = run("-rnnlm", model_path, "-nbest", str(tmp_path / "l.txt"), "-output", "best",
                  "-ac-cost", str(tmp_path / "short"))
    assert missing.exit_code == 1 and "no cost for hypothesis '2-1'" in missing.stderr
    moses = tmp_path / "m.nbest"
    moses.write_text("0 ||| THE CAT ||| LM0= -3.2 ||| -5.1\n")
    refused = run("-rnnlm", model_path, "-nbest", str(moses), "-ac-cost", str(tmp_path / "short"))
    assert refused.exit_code != 0 and "-ac-cost" in refused.stderr


def test_annotated_outputs_keep_each_format(model_path, tmp_path):
    score = float(run("-rnnlm", model_path, "-nbest", "-", stdin="0 THE CAT\n").stdout)
    moses = tmp_path / "m.nbest"
    moses.write_text("0 ||| THE CAT ||| LM0= -3.2 WordPenalty0= -2 ||| -5.1\n")
    out = run("-rnnlm", model_path, "-nbest", str(moses), "-output", "annotated").stdout
    fields = out.strip().split(" ||| ")
    assert fields[:2] == ["0", "THE CAT"] and fields[3] == "-5.1"
    assert float(fields[2].split("RNNLM0=")[1]) == pytest.approx(score * math.log(10), abs=1e-5)
    kaldi = tmp_path / "k.txt"
    kaldi.write_text("utt1-1 THE CAT\n")
    out = run("-rnnlm", model_path, "-nbest", str(kaldi), "-output", "annotated").stdout
    assert out.split()[0] == "utt1-1"
    assert float(out.split()[1]) == pytest.approx(-score * math.log(10), abs=1e-5)
    srilm = tmp_path / "s.nbest"
    srilm.write_text("-120.5 -10.25 2 THE CAT\n-130 -9 1 CAT\n")
    out = run("-rnnlm", model_path, "-nbest", str(srilm), "-output", "annotated").stdout
    first = out.splitlines()[0].split()
    assert first[0] == "-120.500000" and first[2:] == ["2", "THE", "CAT"]
    assert float(first[1]) == pytest.approx(score, abs=1e-5)


@pytest.mark.parametrize("text,fmt", [
    ("1 A B\n1 A\n", "rnnlm"), ("utt-1 A B\nutt-2 A\n", "kaldi"),
    ("NBestList1.0\n(-120) A B\n", "srilm"), ("-1.5 -2 2 A B\n", "srilm"),
    ("0 ||| A B ||| x= 1 ||| -2\n", "moses")])
def test_format_detection(tmp_path, text, fmt):
    path = tmp_path / "f.txt"
    path.write_text(text)
    assert formats.detect(str(path)) == fmt


def test_srilm_layouts(tmp_path):
    v2 = tmp_path / "v2"
    v2.write_text("NBestList2.0\n(-2000) A ( st: 0 et: 1 g: -100 a: -900 ) B "
                  "( st: 1 et: 2 g: -200 a: -800 )\n")
    (hyp,) = formats.read_srilm(str(v2), "k").hyps
    assert hyp.words == ["A", "B"]
    assert hyp.acoustic == pytest.approx(-1700 * formats.BYTELOG_TO_LOG10)
    assert hyp.lm == pytest.approx(-300 * formats.BYTELOG_TO_LOG10)
    v1 = tmp_path / "v1"
    v1.write_text("NBestList1.0\n(-2048) A B C\n")
    (hyp,) = formats.read_srilm(str(v1), "k").hyps
    assert hyp.words == ["A", "B", "C"] and hyp.acoustic == pytest.approx(
        -2048 * 1024 / 10000.5 / math.log(10))


def test_list_of_srilm_files(model_path, tmp_path):
    paths = []
    for i in range(2):
        path = tmp_path / f"{i}.nbest"
        path.write_text("-1 -1 2 THE CAT\n-9 -1 2 A CAT\n")
        paths.append(str(path))
    (tmp_path / "list").write_text("\n".join(paths) + "\n")
    out = run("-rnnlm", model_path, "-nbest-files", str(tmp_path / "list"), "-output",
              "best").stdout.splitlines()
    assert out == [f"{paths[0]} THE CAT", f"{paths[1]} THE CAT"]


def test_interpolation_and_ngram_oov_scores(model_path, tmp_path):
    arpa = tmp_path / "u.arpa"
    arpa.write_text("\\data\\\nngram 1=5\n\n\\1-grams:\n-0.5\t</s>\n-99\t<s>\n-1\tTHE\n"
                    "-1\tCAT\n-2\tZEBRA\n\n\\end\\\n")
    rnn = float(run("-rnnlm", model_path, "-nbest", "-", stdin="0 THE CAT\n").stdout)
    mixed = float(run("-rnnlm", model_path, "-nbest", "-", "-lm", str(arpa), "-lambda", "1",
                      stdin="0 THE CAT\n").stdout)
    assert mixed == pytest.approx(rnn, abs=1e-6)                 # lambda 1: the RNN alone
    only_ngram = float(run("-rnnlm", model_path, "-nbest", "-", "-lm", str(arpa), "-lambda", "0",
                           stdin="0 THE CAT\n").stdout)
    assert only_ngram == pytest.approx(-1 - 1 - 0.5, abs=1e-6)
    zebra = float(run("-rnnlm", model_path, "-nbest", "-", "-lm", str(arpa), "-lambda", "1",
                      stdin="0 ZEBRA\n").stdout)
    # ZEBRA, unknown to the RNN, scores log10 P_ngram(ZEBRA) = -2 (not the -5 penalty);
    # </s> after it is the RNN's (lambda 1).
    model = Model.load(model_path)
    start = sentence_start_state(model.network)
    assert zebra == pytest.approx(sentence_score(model, ["ZEBRA"], start, penalty=-2), abs=1e-5)
    assert zebra != pytest.approx(sentence_score(model, ["ZEBRA"], start), abs=0.5)


def test_errors(model_path, tmp_path):
    result = run("-rnnlm", model_path)
    assert result.exit_code == 2 and "give one of -nbest" in result.stderr
    bad = tmp_path / "k.txt"
    bad.write_text("utt-1 A\nnot-kaldi-id A\n")
    result = run("-rnnlm", model_path, "-nbest", str(bad), "-nbest-format", "kaldi")
    assert result.exit_code == 1 and "k.txt:2:" in result.stderr


def test_probability_file_per_token(model_path, tmp_path):
    (tmp_path / "l.txt").write_text("0 THE CAT\n1 DOG\n")
    probs = tmp_path / "p.txt"
    probs.write_text("0.1\n0.01\n0.5\n0.2\n0.25\n")     # THE CAT </s> DOG </s>
    out = run("-rnnlm", model_path, "-nbest", str(tmp_path / "l.txt"), "-lm-prob", str(probs),
              "-lambda", "0", "-batch", "1").stdout.split()
    assert [float(x) for x in out] == pytest.approx(
        [math.log10(0.1 * 0.01 * 0.5), math.log10(0.2 * 0.25)], abs=1e-6)
    probs.write_text("0.1\n")
    result = run("-rnnlm", model_path, "-nbest", str(tmp_path / "l.txt"), "-lm-prob", str(probs))
    assert result.exit_code == 1 and "fewer probabilities" in result.stderr


def test_stdin_is_not_read_in_large_blocks(model_path, tmp_path):
    """A slow producer on a pipe gets its scores without the pipe being closed."""
    import subprocess
    import sys
    process = subprocess.Popen([sys.executable, "-m", "rnnlm_cli", "nbest-rescore", "-rnnlm",
                                model_path, "-nbest", "-", "-batch", "1", "-q"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    process.stdin.write("0 THE CAT\n1 A DOG\n")
    process.stdin.flush()
    first = process.stdout.readline()        # would block forever with full-block reads
    process.stdin.close()
    rest = process.stdout.read()
    assert process.wait(timeout=60) == 0
    assert first.strip() and len(rest.split()) == 1


def test_worker_processes_score_as_one_thread_does(model_path, tmp_path):
    """-threads 2 scores in forked processes: the n-gram model and the -lm-prob
    probabilities reach them, and their errors come back as one line."""
    arpa = tmp_path / "u.arpa"
    arpa.write_text("\\data\\\nngram 1=5\n\n\\1-grams:\n-0.5\t</s>\n-99\t<s>\n-1\tTHE\n"
                    "-1\tCAT\n-2\tZEBRA\n\n\\end\\\n")
    lists = "".join(f"{i} THE ZEBRA SAT\n{i} A DOG\n{i} THE CAT RAN\n" for i in range(100))
    (tmp_path / "l.txt").write_text(lists)
    common = ["-rnnlm", model_path, "-nbest", str(tmp_path / "l.txt"), "-batch", "7"]
    one = run(*common, "-lm", str(arpa), "-lambda", "0.5")
    two = run(*common, "-lm", str(arpa), "-lambda", "0.5", "-threads", "2")
    assert one.exit_code == two.exit_code == 0
    assert two.stdout == one.stdout and one.stdout.count("\n") == 300
    probs = tmp_path / "p.txt"
    probs.write_text("0.5\n" * 20)
    result = run(*common, "-lm-prob", str(probs), "-threads", "2")
    assert result.exit_code == 1 and "fewer probabilities" in result.stderr
    assert "Traceback" not in result.stderr
