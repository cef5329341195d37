"""Imports run one way: no module under mmhuman_ext/models imports the data
side (the synthetic generators may use models, never the reverse)."""
import ast
import glob
import os.path as osp

import mmhuman_ext


def test_models_never_import_datasets():
    root = osp.join(osp.dirname(mmhuman_ext.__file__), 'models')
    offenders = []
    for path in glob.glob(osp.join(root, '**', '*.py'), recursive=True):
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [('.' * node.level) + (node.module or '')]
            for name in names:
                if 'datasets' in name.split('.') and (
                        name.startswith(('mmhuman_ext', '.'))):
                    offenders.append(f'{osp.relpath(path, root)}: {name}')
    assert not offenders, offenders
