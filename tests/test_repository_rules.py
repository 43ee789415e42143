"""Rules the code base keeps (STYLE.md 7.1): import direction, one set of Numba flags."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNELS = sorted((ROOT / "kernels").glob("*.py"))
CUDA_KERNELS = sorted((ROOT / "kernels" / "cuda").glob("*.py"))
LIBRARY = sorted((ROOT / "rnnlm_cli").rglob("*.py"))
UI_MODULES = {path.name for path in LIBRARY
              if path.name.startswith("cli") or path.name in ("progress.py", "options.py")}


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
                    assert names in (["kernel"], ["exact_kernel"], ["vector_kernel"], ["inline_kernel"]) or \
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


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[0] == "kernels":
        parts = ("rnnlm_cli", *parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph():
    """Module -> the project modules it imports anywhere (function bodies included)."""
    paths = {_module_name(p): p for p in [*LIBRARY, *KERNELS, *CUDA_KERNELS]}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = f"{base}.{node.module}" if node.module else base
                candidates = [f"{target}.{alias.name}" for alias in node.names]
                found = [c for c in candidates if c in paths]
                edges.update(found or ([target] if target in paths else []))
            elif isinstance(node, ast.ImportFrom) and node.module in paths:
                edges.add(node.module)
            elif isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names if alias.name in paths)
        graph[name] = edges - {name}
    return graph


def test_no_import_circles():
    graph = _import_graph()
    assert "rnnlm_cli.api" in graph["rnnlm_cli"]      # the graph sees function-level imports
    state = {}

    def visit(module, trail):
        state[module] = "open"
        for nxt in sorted(graph[module]):
            assert state.get(nxt) != "open", " -> ".join([*trail, module, nxt])
            if nxt not in state:
                visit(nxt, [*trail, module])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_no_source_file_over_400_lines():
    for path in [*LIBRARY, *KERNELS, *CUDA_KERNELS, *sorted((ROOT / "tests").rglob("*.py"))]:
        lines = path.read_text().count("\n")
        assert lines <= 400, (str(path.relative_to(ROOT)), lines)


def test_layer_names_live_in_the_registry_only():
    """Network, Model, the scorers, trainers, interop, the CLI and the CUDA backend ask a
    layer's spec; none of them spells a layer's name or imports a layer's kernel module."""
    from rnnlm_cli import layers
    names = set(layers.HIDDEN_NAMES) | set(layers.OUTPUT_NAMES)
    kernel_modules = {spec.layer_type.__module__.rpartition(".")[2]
                      for spec in (*layers.HIDDEN_SPECS, *layers.OUTPUT_SPECS)}
    generic = [p for p in LIBRARY if "layers" not in p.parts and "ngram" not in p.parts
               and p.name not in ("config.py", "huffman.py")
               # faster-rnnlm's own type names, which its file layout depends on
               and p.name != "faster_rnnlm.py"] + \
        [ROOT / "kernels" / "cuda" / "backend.py", ROOT / "kernels" / "sgd.py",
         ROOT / "kernels" / "output.py", ROOT / "kernels" / "hidden.py"]
    for path in generic:
        tree = ast.parse(path.read_text())
        strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
                   and isinstance(n.value, str)}
        assert not strings & names, (path.name, strings & names)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                spelled = {getattr(node, "module", None) or ""} | {a.name for a in node.names}
                last = {name.rpartition(".")[2] for name in spelled}
                assert not last & kernel_modules, (path.name, last & kernel_modules)
