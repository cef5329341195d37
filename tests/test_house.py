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
