"""The house rules of DESIGN.md "Layout", checked over the source tree.

Modules stay under 400 lines; imports (parsed with `ast`, also those inside
functions, but not those under `if TYPE_CHECKING:`, which never run) form no cycle between modules nor between packages, and point one
way: `gateway` → `resolvers` → (`notify`, `signals`, `casestore`) → `policies` →
`connectors`; `simulators` stand alone.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = tuple(
    name
    for name in (
        "gateway",
        "resolvers",
        "connectors",
        "policies",
        "simulators",
        "casestore",
        "signals",
        "notify",
    )
    if (ROOT / name / "__init__.py").exists()
)
MAX_LINES = 400
GATEWAY_SIDE = {"gateway", "resolvers", "connectors", "policies", "casestore", "signals", "notify"}
#: package -> the packages of ours it must not import
FORBIDDEN: Mapping[str, frozenset[str]] = {
    "connectors": frozenset({"policies", "casestore", "signals", "notify", "resolvers", "gateway"}),
    "policies": frozenset({"casestore", "signals", "notify", "resolvers", "gateway"}),
    "casestore": frozenset({"resolvers", "gateway"}),
    "signals": frozenset({"resolvers", "gateway"}),
    "notify": frozenset({"resolvers", "gateway"}),
    "resolvers": frozenset({"gateway"}),
    "simulators": frozenset(GATEWAY_SIDE),
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node of `tree` except the bodies of `if TYPE_CHECKING:`."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def _imported(module: str, tree: ast.AST) -> set[str]:
    """Our modules that `module` imports anywhere in its body, at run time."""
    base = module if _is_package(module) else module.rpartition(".")[0]
    names: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                source = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                # `from a import b` imports module a.b if there is one, else a name of a
                names.add(
                    f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source
                )
    ours: set[str] = set()
    for name in names:
        # `import a.b.c` names a.b.c; keep the longest prefix that is one of our modules
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in MODULES:
                ours.add(candidate)
                break
    ours.discard(module)
    return ours


def _graph() -> dict[str, set[str]]:
    return {
        module: _imported(module, ast.parse(path.read_text(encoding="utf-8")))
        for module, path in MODULES.items()
    }


GRAPH = _graph()


def _cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_tree_has_the_packages_of_design_md() -> None:
    assert {"gateway", "resolvers", "connectors", "policies", "simulators"} <= set(PACKAGES)
    assert len(GRAPH) > 100


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_400_lines(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it"


def test_no_import_cycle_between_modules() -> None:
    assert _cycles(GRAPH) == []


def test_no_import_cycle_between_packages() -> None:
    packages: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        top = module.split(".")[0]
        packages.setdefault(top, set()).update(t.split(".")[0] for t in targets)
        packages[top].discard(top)
    assert _cycles(packages) == []


def test_imports_follow_the_layer_direction() -> None:
    wrong = sorted(
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets
        if target.split(".")[0] in FORBIDDEN.get(module.split(".")[0], frozenset())
    )
    assert wrong == []


def test_the_checks_see_a_cycle_and_a_wrong_direction() -> None:
    """The helpers can fail: a made-up graph with both faults is caught."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    source = (
        "from gateway.settings import Settings\nfrom . import world\n"
        "if TYPE_CHECKING:\n    from resolvers.context import Context\n"
    )
    imported = _imported("simulators.sandbox", ast.parse(source))
    assert imported == {"gateway.settings", "simulators.world"}
