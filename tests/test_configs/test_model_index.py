"""model-index.yml and the metafiles of PPT / TransFusion / P-STMO: every
config of those folders has an entry and a row in the folder's model-zoo
README, every entry names an existing config in its collection. The
recorded parameter counts are checked against the built models in
tests/test_configs/test_all_configs.py, which builds every config once."""
import glob
import os.path as osp

import pytest
import yaml

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METHODS = ('ppt', 'transfusion', 'pstmo')


def load(path):
    with open(osp.join(ROOT, path)) as f:
        return yaml.safe_load(f)


def test_model_index_collects_every_metafile():
    index = load('model-index.yml')
    for method in METHODS:
        assert f'configs/{method}/metafile.yml' in index['Import']
    for path in index['Import']:
        assert osp.isfile(osp.join(ROOT, path)), path


@pytest.mark.parametrize('method', METHODS)
def test_every_config_has_one_entry_and_a_zoo_row(method):
    meta = load(f'configs/{method}/metafile.yml')
    collections = {c['Name'] for c in meta['Collections']}
    for c in meta['Collections']:
        assert osp.isfile(osp.join(ROOT, c['README']))
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
        for result in m.get('Results', []):
            assert result['Metrics'] and result['Dataset'] and result['Task']
