"""Rules the code base keeps (STYLE.md 7.1): import direction, one set of Numba flags."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNELS = sorted((ROOT / "kernels").glob("*.py"))
CUDA_KERNELS = sorted((ROOT / "kernels" / "cuda").glob("*.py"))
LIBRARY = sorted((ROOT / "rnnlm_cli").rglob("*.py"))
UI_MODULES = {"cli.py", "cli_ngram.py", "cli_nbest.py", "cli_convert.py", "cli_dropin.py",
              "progress.py", "options.py"}


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or "")


def test_kernels_import_only_numba_numpy_and_each_other():
    for path in KERNELS:
        for module in imported_modules(path):
            assert module.split(".")[0] in {"numba", "numpy", "math", "collections"} or (
                module.startswith(".") and not module.startswith("..")), (path.name, module)


def test_cuda_kernels_import_only_numba_numpy_and_kernels():
    """The GPU code may use the CPU kernels' constants and namedtuples, nothing above."""
    for path in CUDA_KERNELS:
        for module in imported_modules(path):
            assert module.split(".")[0] in {"numba", "numpy", "math"} or (
                module.startswith(".") and not module.startswith("...")), (path.name, module)


def test_only_the_ui_imports_click_or_rich_and_only_kernels_import_numba():
    for path in LIBRARY:
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in {"click", "rich"}:
                assert path.name in UI_MODULES, (path.name, module)
            assert top != "numba", (path.name, module)


def test_every_kernel_uses_the_shared_jit_options():
    for path in KERNELS:
        if path.name in {"_jit.py", "__init__.py"}:
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                names = [d.id for d in node.decorator_list if isinstance(d, ast.Name)]
                calls = [d for d in node.decorator_list if isinstance(d, ast.Call)]
                if calls:       # @overload(stub, jit_options=JIT_OPTIONS): compile-time dispatch
                    (call,) = calls
                    assert call.func.id == "overload", (path.name, node.name)
                    assert [(k.arg, k.value.id) for k in call.keywords] == [
                        ("jit_options", "JIT_OPTIONS")], (path.name, node.name)
                elif not node.name.startswith("_"):     # private: typing-time helpers
                    assert names in (["kernel"], ["exact_kernel"]) or \
                        node.name in _overload_targets(tree), (path.name, node.name)


def _overload_targets(tree) -> set:
    """Names of the generic functions a module overloads (their bodies never run)."""
    return {d.args[0].id for node in tree.body if isinstance(node, ast.FunctionDef)
            for d in node.decorator_list if isinstance(d, ast.Call)}


def test_no_print_in_library_or_kernels():
    for path in [*KERNELS, *LIBRARY]:
        if path.name == "synthetic.py":  # its __main__ prints the corpus facts
            continue
        tree = ast.parse(path.read_text())
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Name) and n.func.id == "print"]
        assert not calls, path.name


def test_fastmath_keeps_inf_and_nan_semantics():
    from rnnlm_cli.kernels import _jit
    assert not {"nnan", "ninf", "fast"} & set(_jit.FASTMATH_FLAGS)
    assert _jit.JIT_OPTIONS["cache"] and _jit.JIT_OPTIONS["nogil"]
