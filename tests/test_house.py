"""Repository-wide conventions: complete ``__all__``, no citations of the
private spec, no unused base configs."""
import ast
import glob
import importlib
import os.path as osp
import re

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _relative_imports(path):
    """Names a package ``__init__`` imports from its own modules."""
    names = set()
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.ImportFrom) and node.level and node.module:
            names.update(a.asname or a.name for a in node.names
                         if a.name != '*' and not a.name.startswith('_'))
    return names


def test_every_package_lists_its_exports_in_all():
    inits = glob.glob(osp.join(ROOT, 'mmhuman_ext', '**', '__init__.py'),
                      recursive=True)
    assert inits
    for path in inits:
        imported = _relative_imports(path)
        if not imported:
            continue
        package = osp.relpath(osp.dirname(path), ROOT).replace(osp.sep, '.')
        module = importlib.import_module(package)
        assert hasattr(module, '__all__'), f'{path} has no __all__'
        assert set(module.__all__) == imported, path
        assert len(module.__all__) == len(set(module.__all__)), path


def test_no_citation_of_the_private_spec():
    """Readers do not have the spec: code gives reasons in place or cites
    docs/."""
    pattern = re.compile(r'spec §|spec [A-C]\d|spec Q\d|\(Q\d+[);]|'
                         r'ambiguity Q\d|specs/')
    for path in glob.glob(osp.join(ROOT, '**', '*.py'), recursive=True):
        rel = osp.relpath(path, ROOT)
        if (not rel.startswith(('mmhuman_ext', 'tools', 'configs', 'tests'))
                or rel == osp.join('tests', 'test_house.py')):
            continue
        for i, line in enumerate(open(path), 1):
            assert not pattern.search(line), f'{rel}:{i}: {line.strip()}'


def test_every_base_config_is_used():
    configs = glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                        recursive=True)
    text = ''.join(open(c).read() for c in configs
                   if '_base_' not in osp.relpath(c, ROOT).split(osp.sep))
    for base in glob.glob(osp.join(ROOT, 'configs', '_base_', '**', '*.py'),
                          recursive=True):
        name = osp.relpath(base, osp.join(ROOT, 'configs'))
        assert name in text, f'configs/{name} is used by no config'


# Words that only make sense inside the project's own process: the private
# spec (and its part / question numbers), issues, sessions, GPU loans.
# Readers of the repository have none of these.
INTERNAL = re.compile(
    r'\bspecs?\b|spec\'s|§|\bQ\d+\b|\bB\d\.\d+\b|\bpart [A-G]\b|shared/|'
    r'\bthe issue\b|\bissue asks\b|\bsessions?\b|\bthe lead\b|'
    r'\blent\b|\bthis task\b', re.IGNORECASE)


def reader_docs():
    """README, docs/ and the READMEs of configs/ and projects/."""
    paths = [osp.join(ROOT, 'README.md')]
    for pattern in ('docs/**/*.md', 'configs/*/README.md',
                    'projects/*/README.md'):
        paths += glob.glob(osp.join(ROOT, pattern), recursive=True)
    return sorted(paths)


def test_docs_speak_to_readers_of_the_repository():
    found = [
        f'{osp.relpath(path, ROOT)}:{i}: {line.strip()}'
        for path in reader_docs() for i, line in enumerate(open(path), 1)
        if INTERNAL.search(line)
    ]
    assert not found, '\n'.join(found)


def test_the_docs_check_sees_internal_language():
    assert len(reader_docs()) > 10
    for line in ('as spec §2.12 says', '(Q6)', 'the issue asks for it',
                 'no GPU was lent to this task', 'spec B2.9'):
        assert INTERNAL.search(line), line
    for line in ('a specific setting', 'inspect the output',
                 'the spectral norm', 'Table 4.2'):
        assert not INTERNAL.search(line), line


# --- import graph -----------------------------------------------------------
# Layers, bottom to top; a module imports only from its own layer or below.
LAYERS = {
    'registry': 0, 'version': 0, 'utils': 0, 'geometry': 0,
    'models': 1, 'codecs': 1, 'datasets': 1, 'evaluation': 1,
    'engine': 2, 'apis': 2,
}
# Same layer, still forbidden: models never see the data or metric side.
FORBIDDEN = {('models', 'datasets'), ('models', 'evaluation')}
# The one function that imports every package on purpose (registration).
REGISTRATION = 'mmhuman_ext.utils.setup_env'


def _package_modules():
    """``{dotted name: path}`` of every module of mmhuman_ext (a package
    under its own name, for its ``__init__.py``)."""
    modules = {}
    for path in glob.glob(osp.join(ROOT, 'mmhuman_ext', '**', '*.py'),
                          recursive=True):
        parts = osp.relpath(path, ROOT)[:-3].split(osp.sep)
        if parts[-1] == '__init__':
            parts = parts[:-1]
        modules['.'.join(parts)] = path
    return modules


def _module_level_nodes(tree):
    """Statements run on import: the module body and class bodies, with
    ``if`` / ``try`` / ``with`` blocks, not function bodies."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.Lambda)):
            continue
        todo.extend(ast.iter_child_nodes(node))


def _imports(name, path, modules, module_level=True):
    """mmhuman_ext modules that module ``name`` imports (``from pkg import
    sub`` counts as ``pkg.sub`` when ``sub`` is a module, else as ``pkg``).
    """
    tree = ast.parse(open(path).read())
    nodes = _module_level_nodes(tree) if module_level else ast.walk(tree)
    package = name if path.endswith('__init__.py') else name.rpartition(
        '.')[0]
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')
                anchor = anchor[:len(anchor) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            targets = []
            for alias in node.names:
                sub = f'{base}.{alias.name}'
                targets.append(sub if sub in modules else base)
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition('.')[0]
            if target and target != name:
                found.add(target)
    return found


def _import_graph(module_level=True):
    modules = _package_modules()
    return {
        name: _imports(name, path, modules, module_level)
        for name, path in modules.items()
    }


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_import_graph_reads_relative_and_submodule_imports():
    graph = _import_graph()
    assert 'mmhuman_ext.version' in graph['mmhuman_ext']
    assert 'mmhuman_ext.utils.setup_env' in graph['mmhuman_ext.utils']
    assert 'mmhuman_ext.datasets.transforms' in graph['mmhuman_ext.datasets']
    assert _cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [
        ['a', 'b', 'c']]


def test_no_import_circle():
    """No circle of imports among mmhuman_ext modules, at module level nor
    through the deferred imports of functions (they run too)."""
    assert not _cycles(_import_graph())
    cycles = _cycles(_import_graph(module_level=False))
    assert not cycles, f'{len(cycles)} import circle(s): {cycles}'


def _top(name):
    parts = name.split('.')
    return parts[1] if len(parts) > 1 else None


def test_imports_run_one_way():
    """Nothing imports a package above its layer (anywhere in the module,
    except the registration function), and models never import datasets or
    evaluation."""
    offenders = []
    for name, targets in _import_graph(module_level=False).items():
        src = _top(name)
        if src is None or name == REGISTRATION:
            continue
        assert src in LAYERS, f'{name}: package {src} has no layer'
        for target in targets:
            dst = _top(target)
            if dst is None:
                continue
            if LAYERS[dst] > LAYERS[src] or (src, dst) in FORBIDDEN:
                offenders.append(f'{name} -> {target}')
    assert not offenders, offenders


def test_helpers_are_imported_from_their_module():
    """Inside the package, helpers come from their module
    (``mmhuman_ext.utils.video``), never through a package face such as
    ``mmhuman_ext.utils``: registration imports every package, so a face
    import closes a circle."""
    offenders = []
    modules = _package_modules()
    packages = {n for n, p in modules.items() if p.endswith('__init__.py')}
    for name, targets in _import_graph(module_level=False).items():
        if name in packages:
            continue
        for target in targets:
            if target in packages and target.count('.') == 1 and (
                    _top(target) == 'utils'):
                offenders.append(f'{name} -> {target}')
    assert not offenders, offenders
