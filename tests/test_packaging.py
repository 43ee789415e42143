"""The wheel ships kernels/ as rnnlm_cli.kernels, never as a top-level 'kernels'."""
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    if not os.path.exists(os.path.join(ROOT, "pyproject.toml")):
        pytest.skip("not running from a source checkout")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), ROOT], check=True, capture_output=True)
    (path,) = out.glob("rnnlm-*.whl")
    return path


def test_wheel_maps_kernels_under_our_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "rnnlm_cli/kernels/sgd.py" in names
    assert "rnnlm_cli/kernels/_jit.py" in names
    assert not any(name.startswith("kernels/") for name in names)


def test_installed_wheel_imports_and_runs(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    assert not (target / "kernels").exists()
    probe = ("import sys; sys.path.insert(0, sys.argv[1]);"
             "import rnnlm_cli, rnnlm_cli.kernels.sgd as k;"
             "assert rnnlm_cli.__file__.startswith(sys.argv[1]), rnnlm_cli.__file__;"
             "assert k.__file__.startswith(sys.argv[1] + '/rnnlm_cli/kernels/'), k.__file__;"
             "from rnnlm_cli.cli import main; main(['--version'])")
    done = subprocess.run([sys.executable, "-I", "-c", probe, str(target)], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "rnnlm, version" in done.stdout


def test_wheel_installs_every_man_page(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    pages = sorted(f"{section}/{page}" for section in ("man1", "man5")
                   for page in os.listdir(os.path.join(ROOT, "man", section)))
    shipped = sorted(name.split("/share/man/", 1)[1] for name in names if "/share/man/" in name)
    assert shipped == pages
