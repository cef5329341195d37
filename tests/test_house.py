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
    pattern = re.compile(
        r'spec §|spec [A-C]\d|spec Q\d|\(Q\d+[);]|ambiguity Q\d')
    for path in glob.glob(osp.join(ROOT, '**', '*.py'), recursive=True):
        rel = osp.relpath(path, ROOT)
        if not rel.startswith(('mmhuman_ext', 'tools', 'configs')):
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
