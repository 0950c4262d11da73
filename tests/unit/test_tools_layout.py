"""The tools room (infra/ladderctl) is layered and its imports run one way: shared modules, then
the operator commands, the local stack, the drivers, the playground, and the commands that
compose them. No import cycle between its modules, function-level imports included."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "infra"
LAYERS = {  # lowest first: a module may import its own layer and those before it
    "shared": 0, "ops": 1, "stack": 2, "drive": 3, "playground": 4, "app": 5,
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("ops", "stack", "drive", "playground"):
        return parts[1]
    if module in ("ladderctl.cli", "ladderctl.__main__", "ladderctl.dev"):
        return "app"
    return "shared"  # ladderctl.postgres, ladderctl.env_file, ladderctl.sample_replays


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in (ROOT / "ladderctl").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ladderctl"):
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("ladderctl"))
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_every_import_points_to_the_same_layer_or_one_below():
    upward = [f"{a} -> {b}" for a, targets in _graph().items() for b in targets
              if LAYERS[_layer(b)] > LAYERS[_layer(a)]]
    assert upward == []


def test_no_import_cycle_between_modules():
    graph = _graph()
    # A package's __init__ importing its own modules is not a cycle of behaviour.
    graph = {a: {b for b in targets if not a.startswith(b + ".") and not b.startswith(a + ".")}
             for a, targets in graph.items()}
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target):], target]) if target in path else target)
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_the_stack_never_imports_the_drivers_or_the_playground():
    for module, targets in _graph().items():
        if _layer(module) == "stack":
            assert not {t for t in targets if _layer(t) in ("drive", "playground")}, module
