"""rnnlm lattice-rescore: Kaldi and SLF lattices read and written back, the search
against an exhaustive enumeration of every path, LM scores against nbest-rescore,
and malformed lattices refused in one line."""
import gzip
import itertools
import json
import math
import random

import pytest
from click.testing import CliRunner

from layer_checks import run, source_corpus
from rnnlm_cli.api import load
from rnnlm_cli.cli import main
from rnnlm_cli.formats import lattice_kaldi, lattice_slf
from rnnlm_cli.lattice import Arc, Lattice

LN10 = math.log(10.0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(model path, word list, n-gram path) trained on a synthetic corpus."""
    folder, _ = source_corpus(tmp_path_factory, "lattice")
    model = folder / "m.rnn"
    assert run("train", "-rnnlm", model, "-train", folder / "train.txt", "-valid",
               folder / "valid.txt", "-hidden", "10", "-direct", "0.1", "-max-iter", "3",
               "-q").exit_code == 0
    arpa = folder / "lm.arpa"
    assert run("ngram-count", "-text", folder / "train.txt", "-order", "3", "-wbdiscount",
               "-lm", arpa).exit_code == 0
    words = sorted({w for line in (folder / "train.txt").read_text().splitlines()
                    for w in line.split()})
    return model, words, arpa


def random_lattice(words, seed, slots=5, name="u"):
    """A sausage with 1-3 alternatives a slot, some of them no word (!NULL), and a few
    arcs that skip a slot; acoustic and LM log-likelihoods drawn at random."""
    rng = random.Random(seed)
    arcs = []
    for slot in range(slots):
        for _ in range(rng.randint(1, 3)):
            word = rng.choice(words) if rng.random() > 0.15 else None
            arcs.append(Arc(slot, slot + 1, word, -rng.uniform(1, 30), -rng.uniform(0.5, 8)))
        if slot + 2 <= slots and rng.random() < 0.3:
            arcs.append(Arc(slot, slot + 2, rng.choice(words), -rng.uniform(20, 50),
                            -rng.uniform(1, 8)))
    return Lattice(name, 0, arcs, {slots: (0.0, 0.0)}, header={"lmscale": "1.0"})


def paths(lattice):
    """Every (words, acoustic, lm) path from the start to a final node."""
    outgoing = {}
    for arc in lattice.arcs:
        outgoing.setdefault(arc.source, []).append(arc)

    def walk(node):
        if node in lattice.finals:
            acoustic, lm = lattice.finals[node]
            yield [], acoustic, lm
        for arc in outgoing.get(node, []):
            for words, acoustic, lm in walk(arc.target):
                yield ([arc.word] if arc.word else []) + words, arc.acoustic + acoustic, \
                    arc.lm + lm
    return list(walk(lattice.start))


def exhaustive_best(model, lattice, A, S, W, P):
    """The best path by enumeration, each path scored by nbest-rescore's scorer."""
    found = paths(lattice)
    lm = model.rescore([[words for words, _, _ in found]])[0]
    totals = [A * acoustic + W * old + S * LN10 * score + P * len(words)
              for (words, acoustic, old), score in zip(found, lm)]
    best = max(range(len(found)), key=totals.__getitem__)
    return found[best][0], totals[best]


@pytest.mark.parametrize("seed", range(6))
def test_best_path_equals_exhaustive_enumeration(trained, seed):
    model_path, words, _ = trained
    model = load(str(model_path))
    lattice = random_lattice(words, seed)
    A, S, W, P = 0.1, 1.5, 0.5, -0.3
    result = model.rescore_lattice(lattice, ac_scale=A, lm_scale=S, old_lm_weight=W,
                                   word_penalty=P, recombination_order=10, max_tokens=0,
                                   nbest_size=50)[0]
    best_words, best_total = exhaustive_best(model, lattice, A, S, W, P)
    assert result.hypotheses[0].words == best_words
    assert result.hypotheses[0].total == pytest.approx(best_total, abs=1e-4)


def test_nbest_lm_scores_equal_nbest_rescore(trained, tmp_path):
    model_path, words, arpa = trained
    lattices = [random_lattice(words, seed, name=f"u{seed}") for seed in range(3)]
    slf = tmp_path / "l.slf"
    with open(slf, "w") as handle:
        for lattice in lattices:
            lattice_slf.write(lattice, handle)
    for extra in ([], ["-lm", arpa, "-lambda", "0.6"]):
        out = run("lattice-rescore", "-rnnlm", model_path, "-lattice", slf, "-output", "nbest",
                  "-nbest-size", "5", *extra)
        assert out.exit_code == 0, out.output
        rows = [json.loads(line) for line in out.stdout.splitlines()]
        assert {row["utt"] for row in rows} == {"u0", "u1", "u2"}
        nbest = tmp_path / "n.txt"
        nbest.write_text("".join(f"{k} {row['words']}\n" for k, row in enumerate(rows)))
        scores = run("nbest-rescore", "-rnnlm", model_path, "-nbest", nbest, *extra)
        for row, score in zip(rows, scores.stdout.split()):
            assert row["lm"] == pytest.approx(float(score), abs=1e-3)
        for utt in ("u0", "u1", "u2"):
            totals = [row["total"] for row in rows if row["utt"] == utt]
            assert totals == sorted(totals, reverse=True)


def test_kaldi_and_slf_give_the_same_best_path(trained, tmp_path):
    model_path, words, _ = trained
    table = tmp_path / "words.txt"
    table.write_text("<eps> 0\n" + "".join(f"{w} {i}\n" for i, w in enumerate(words, 1)))
    ids = {w: i for i, w in enumerate(words, 1)}
    lattices = [random_lattice(words, seed, name=f"u{seed}") for seed in range(4)]
    slf, ark = tmp_path / "l.slf", tmp_path / "l.ark.gz"
    with open(slf, "w") as handle:
        for lattice in lattices:
            lattice_slf.write(lattice, handle)
    with gzip.open(ark, "wt") as handle:
        for lattice in lattices:
            lattice_kaldi.write(lattice, handle, ids)
    scales = ["-ac-scale", "0.2", "-lm-scale", "1"]
    from_slf = run("lattice-rescore", "-rnnlm", model_path, "-lattice", slf, *scales)
    from_kaldi = run("lattice-rescore", "-rnnlm", model_path, "-lattice", ark, "-words", table,
                     *scales)
    assert from_slf.exit_code == 0 and from_kaldi.exit_code == 0, from_kaldi.output
    assert from_slf.stdout == from_kaldi.stdout
    assert len(from_slf.stdout.splitlines()) == 4


@pytest.mark.parametrize("fmt", ["slf", "kaldi"])
def test_a_lattice_written_back_at_scale_0_keeps_its_paths_and_scores(trained, tmp_path, fmt):
    model_path, words, _ = trained
    ids = {w: i for i, w in enumerate(words, 1)}
    table = tmp_path / "words.txt"
    table.write_text("<eps> 0\n" + "".join(f"{w} {i}\n" for w, i in ids.items()))
    lattice = random_lattice(words, 11)
    source = tmp_path / f"in.{fmt}"
    with open(source, "w") as handle:
        if fmt == "slf":
            lattice_slf.write(lattice, handle)
        else:
            lattice_kaldi.write(lattice, handle, ids)
    out = tmp_path / f"out.{fmt}"
    done = run("lattice-rescore", "-rnnlm", model_path, "-lattice", source, "-words", table,
               "-output", "lattice", "-lm-scale", "0", "-old-lm-weight", "1", "-max-tokens", "0",
               "-out", out)
    assert done.exit_code == 0, done.output
    symbols = {i: w for w, i in ids.items()}
    back = next(lattice_slf.read(str(out)) if fmt == "slf" else
                lattice_kaldi.read(str(out), symbols))

    def summary(lat):
        return sorted((tuple(w), round(a, 4), round(lm, 4)) for w, a, lm in paths(lat))
    assert summary(back) == summary(lattice)


def test_the_expanded_lattice_keeps_the_new_scores_of_its_best_path(trained, tmp_path):
    """-output lattice: the best path of the written lattice, summing A * acoustic + LM,
    is the best hypothesis, with the same total."""
    model_path, words, _ = trained
    lattice = random_lattice(words, 5)
    source = tmp_path / "in.slf"
    with open(source, "w") as handle:
        lattice_slf.write(lattice, handle)
    model = load(str(model_path))
    result = model.rescore_lattice(str(source), expand=True, ac_scale=0.3,
                                   recombination_order=10, max_tokens=0)[0]
    written = max(paths(result.lattice), key=lambda p: 0.3 * p[1] + p[2])
    assert written[0] == result.hypotheses[0].words
    assert 0.3 * written[1] + written[2] == pytest.approx(result.hypotheses[0].total, abs=1e-4)


def test_pruning_and_recombination_still_find_a_full_path(trained):
    model_path, words, _ = trained
    model = load(str(model_path))
    lattice = random_lattice(words, 3, slots=8)
    exact = model.rescore_lattice(lattice, recombination_order=20,
                                  max_tokens=0)[0].hypotheses[0]
    for options in ({"recombination_order": 1}, {"beam": 5.0}, {"max_tokens": 1}, {}):
        best = model.rescore_lattice(lattice, **options)[0].hypotheses[0]
        assert best.total <= exact.total + 1e-6
        assert tuple(best.words) in {tuple(w) for w, _, _ in paths(lattice)}


def test_empty_lattices_give_an_empty_hypothesis(trained, tmp_path):
    model_path, _, _ = trained
    ark = tmp_path / "e.ark"
    ark.write_text("empty\n\nonly\n0 1.5,2,\n\n")
    table = tmp_path / "words.txt"
    table.write_text("<eps> 0\n")
    done = run("lattice-rescore", "-rnnlm", model_path, "-lattice", ark, "-words", table)
    assert done.exit_code == 0, done.output
    assert done.stdout == "empty\nonly\n"


def test_a_lattice_list_names_files_relative_to_its_folder(trained, tmp_path):
    model_path, words, _ = trained
    (tmp_path / "sub").mkdir()
    for seed in range(2):
        with open(tmp_path / "sub" / f"{seed}.slf", "w") as handle:
            lattice_slf.write(random_lattice(words, seed, name=f"u{seed}"), handle)
    (tmp_path / "sub" / "list").write_text("0.slf\n1.slf\n")
    done = run("lattice-rescore", "-rnnlm", model_path, "-lattice-list",
               tmp_path / "sub" / "list", "-threads", "2")
    assert done.exit_code == 0, done.output
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["u0", "u1"]


SLF_HEAD = "VERSION=1.0\nUTTERANCE=bad\n"
MALFORMED = {
    "cycle": ("slf", SLF_HEAD + "I=0\nI=1\nI=2\nJ=0 S=0 E=1 W=w01\nJ=1 S=1 E=2 W=w02\n"
                                "J=2 S=2 E=1 W=w03\n", "cycle through node"),
    "missing node": ("slf", SLF_HEAD + "I=0\nI=1\nJ=0 S=0 E=5 W=w01\n", "node 5"),
    "non-numeric score": ("slf", SLF_HEAD + "I=0\nI=1\nJ=0 S=0 E=1 W=w01 a=abc\n",
                          "a=abc is not a number"),
    "counts": ("slf", SLF_HEAD + "N=3 L=1\nI=0\nI=1\nJ=0 S=0 E=1 W=w01\n", "N=3"),
    "no path": ("kaldi", "bad\n0 1 1 0,0,\n1 2 1 0,0,\n5 0,0,\n\n",
                "no path from the start node to a final node"),
    "unknown word id": ("kaldi", "bad\n0 1 99 0,0,\n1 0,0,\n\n", "word id 99"),
    "kaldi bad cost": ("kaldi", "bad\n0 1 1 x,0,\n1 0,0,\n\n", "expected costs"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_lattice_is_refused_in_one_line(trained, tmp_path, case):
    model_path, _, _ = trained
    fmt, text, message = MALFORMED[case]
    source = tmp_path / "bad.lat"
    source.write_text(text)
    table = tmp_path / "words.txt"
    table.write_text("<eps> 0\nw01 1\n")
    out = tmp_path / "out.txt"
    done = run("lattice-rescore", "-rnnlm", model_path, "-lattice", source, "-words", table,
               "-lattice-format", fmt, "-out", out)
    assert done.exit_code == 1
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "bad" in lines[0], done.output
    assert not out.exists()


def test_reading_slf_scores_in_another_base_and_words_on_nodes(tmp_path):
    source = tmp_path / "n.slf"
    source.write_text("VERSION=1.0\nUTTERANCE=x\nbase=10\nstart=0 end=2\n"
                      "I=0 W=<s>\nI=1 W=the\nI=2 W=</s>\n"
                      "J=0 S=0 E=1 a=-1 l=-0.5\nJ=1 S=1 E=2 a=-2 l=0\n")
    lattice = next(lattice_slf.read(str(source)))
    assert [arc.word for arc in lattice.arcs] == ["the", None]
    assert lattice.arcs[0].acoustic == pytest.approx(-LN10)
    assert lattice.arcs[0].lm == pytest.approx(-0.5 * LN10)
    assert lattice.start == 0 and set(lattice.finals) == {2}


def test_reading_a_non_compact_kaldi_lattice(tmp_path):
    source = tmp_path / "l.ark"
    source.write_text("utt\n0 1 7 1 1.5,2.5\n1 2 8 0 0.5,1\n2 0.25,0.5\n\n")
    lattice = next(lattice_kaldi.read(str(source), {1: "hello"}))
    assert [(a.word, a.acoustic, a.lm) for a in lattice.arcs] == [("hello", -2.5, -1.5),
                                                                  (None, -1.0, -0.5)]
    assert lattice.finals == {2: (-0.5, -0.25)}
    assert [[w for w in words] for words, _, _ in paths(lattice)] == [["hello"]]


def test_exhaustive_enumeration_sees_every_path():
    """The test's own enumerator: a 2x2 sausage with one skip arc has 5 paths."""
    arcs = [Arc(0, 1, "a", 0, 0), Arc(0, 1, "b", 0, 0), Arc(1, 2, "c", 0, 0),
            Arc(1, 2, "d", 0, 0), Arc(0, 2, "e", 0, 0)]
    found = paths(Lattice("x", 0, arcs, {2: (0.0, 0.0)}))
    assert sorted(tuple(w) for w, _, _ in found) == sorted(
        [tuple(p) for p in itertools.product("ab", "cd")] + [("e",)])


def test_kaldi_lattices_from_stdin_need_the_words_table(trained, tmp_path):
    model_path, words, _ = trained
    ids = {w: i for i, w in enumerate(words, 1)}
    table = tmp_path / "words.txt"
    table.write_text("<eps> 0\n" + "".join(f"{w} {i}\n" for w, i in ids.items()))
    lattice = random_lattice(words, 4, name="piped")
    with open(tmp_path / "l.ark", "w") as handle:
        lattice_kaldi.write(lattice, handle, ids)
    text = (tmp_path / "l.ark").read_text()
    done = CliRunner().invoke(main, ["lattice-rescore", "-rnnlm", str(model_path), "-lattice",
                                     "-", "-words", str(table)], input=text)
    assert done.exit_code == 0 and done.stdout.startswith("piped "), done.output
    refused = CliRunner().invoke(main, ["lattice-rescore", "-rnnlm", str(model_path),
                                        "-lattice", "-"], input=text)
    assert refused.exit_code == 2 and "give -words words.txt" in refused.output


def test_paths_with_the_same_words_share_their_hidden_steps(trained, monkeypatch):
    """Two alignments of the same words (nodes 1 and 2 both after 'w01'): the state
    after 'w01' is computed once, and the best path is still the exhaustive one."""
    model_path, words, _ = trained
    a, b, c = words[:3]
    lattice = Lattice("aligned", 0, [Arc(0, 1, a, -1.0, 0.0), Arc(0, 2, a, -1.5, 0.0),
                                     Arc(1, 3, b, -2.0, 0.0), Arc(2, 3, b, -1.0, 0.0),
                                     Arc(2, 3, c, -1.2, 0.0)], {3: (0.0, 0.0)})
    from rnnlm_cli import lattice_search
    stepped = []
    original = lattice_search.sgd.token_forward

    def counting(h, *rest):
        stepped.append(h.shape[0])
        return original(h, *rest)
    monkeypatch.setattr(lattice_search.sgd, "token_forward", counting)
    model = load(str(model_path))
    result = model.rescore_lattice(lattice, ac_scale=1.0, recombination_order=0,
                                   max_tokens=0)[0]
    assert sum(stepped) == 3          # the start, 'w01' once (4 without the cache), and
                                      # the one token left at node 3 (order 0 merges all)
    best_words, best_total = exhaustive_best(model, lattice, 1.0, 1.0, 0.0, 0.0)
    assert result.hypotheses[0].words == best_words
    assert result.hypotheses[0].total == pytest.approx(best_total, abs=1e-4)
