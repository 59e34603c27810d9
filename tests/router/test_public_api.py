import ast
from pathlib import Path

import router

ROOT = Path(__file__).resolve().parents[2]


def test_all_is_sorted_and_complete() -> None:
    assert router.__all__ == sorted(router.__all__)
    for name in router.__all__:
        assert hasattr(router, name), name


def test_plugins_import_only_the_public_api() -> None:
    """Plugins talk to the core through ``router`` (its ``__all__``), never its submodules."""
    offenders = []
    for path in (ROOT / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("router."):
                offenders.append(f"{path.relative_to(ROOT)}: from {node.module}")
            if isinstance(node, ast.ImportFrom) and node.module == "router":
                for alias in node.names:
                    if alias.name not in router.__all__:
                        offenders.append(f"{path.relative_to(ROOT)}: {alias.name}")
    assert offenders == []


def test_core_never_imports_a_plugin() -> None:
    offenders = []
    for path in (ROOT / "router").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "plugins":
                offenders.append(str(path.relative_to(ROOT)))
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "plugins" for a in node.names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
