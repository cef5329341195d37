"""model-index.yml and the metafiles of the six method folders: every config
of a folder has exactly one entry and a row in the folder's model-zoo
README, every path a metafile names exists, and the paper's figures are
recorded as ``Paper Results`` (``Results`` belong to released weights,
``Weights``, which this repository does not have). The recorded parameter
counts are checked against the built models in
tests/test_configs/test_all_configs.py, which builds every config once."""
import glob
import os.path as osp

import pytest
import yaml

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METHODS = ('ppt', 'transfusion', 'pstmo', 'cvthead', 'maskint',
           'motion_transfer')
# fields of a metafile that name a file of the repository
PATH_FIELDS = ('README', 'Config', 'Converter')


def load(path):
    with open(osp.join(ROOT, path)) as f:
        return yaml.safe_load(f)


def named_paths(node):
    """Every value of a ``PATH_FIELDS`` key, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in PATH_FIELDS and isinstance(value, str):
                yield value
            else:
                yield from named_paths(value)
    elif isinstance(node, list):
        for item in node:
            yield from named_paths(item)


def test_model_index_collects_every_metafile():
    index = load('model-index.yml')
    assert index['Import'] == [f'configs/{m}/metafile.yml' for m in METHODS]
    for path in index['Import']:
        assert osp.isfile(osp.join(ROOT, path)), path


@pytest.mark.parametrize('method', METHODS)
def test_every_config_has_one_entry_and_a_zoo_row(method):
    meta = load(f'configs/{method}/metafile.yml')
    collections = {c['Name'] for c in meta['Collections']}
    for c in meta['Collections']:
        assert c['Paper']['URL'].startswith('https://')
    configs = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', method, '*.py')))
    listed = [m['Config'] for m in meta['Models']]
    assert sorted(listed) == configs  # each config exactly once
    with open(osp.join(ROOT, 'configs', method, 'README.md')) as f:
        zoo = f.read()
    for m in meta['Models']:
        assert m['In Collection'] in collections
        assert m['Name'] == osp.splitext(osp.basename(m['Config']))[0]
        assert f'(./{m["Name"]}.py)' in zoo, m['Name']  # linked zoo row
        assert 'Results' not in m or 'Weights' in m, (
            f'{m["Name"]}: figures without weights go under Paper Results')
        for result in m.get('Paper Results', []):
            assert result['Metrics'] and result['Dataset'] and result['Task']


@pytest.mark.parametrize('method', METHODS)
def test_every_path_a_metafile_names_exists(method):
    paths = list(named_paths(load(f'configs/{method}/metafile.yml')))
    assert f'configs/{method}/README.md' in paths
    for path in paths:
        assert osp.isfile(osp.join(ROOT, path)), f'{method}: {path}'


def test_named_paths_finds_a_nested_missing_path():
    meta = dict(Collections=[dict(README='configs/ppt/README.md')],
                Models=[dict(Metadata=dict(Converter='tools/nothing.py'),
                             Config='configs/ppt/nothing.py')])
    missing = [p for p in named_paths(meta)
               if not osp.isfile(osp.join(ROOT, p))]
    assert missing == ['tools/nothing.py', 'configs/ppt/nothing.py']
