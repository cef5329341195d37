"""DECA code precomputation writes what VoxCelebReenactDataset reads."""
import importlib.util
import json
import os.path as osp

import numpy as np
import torch

from mmhuman_ext.models.editors.cvthead.deca_encoder import DECAEncoder

_spec = importlib.util.spec_from_file_location(
    'voxceleb_deca_codes', osp.join(osp.dirname(__file__), '..', '..',
                                    'tools', 'dataset_converters',
                                    'voxceleb_deca_codes.py'))
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)


def test_codes_written_in_dataset_layout(cvthead_small_data, tmp_path):
    torch.manual_seed(0)
    deca = DECAEncoder()
    torch.save(dict(E_flame=deca.state_dict()), tmp_path / 'deca_model.tar')
    tool.main([cvthead_small_data, '--deca', str(tmp_path / 'deca_model.tar'),
               '--splits', 'test', '--out-dir', str(tmp_path / 'codes')])
    videos = json.load(open(osp.join(cvthead_small_data, 'test_imgs.json')))
    name = sorted(videos)[0]
    z = np.load(tmp_path / 'codes' / f'{name}.npz')
    assert list(z['frame_ids']) == videos[name]
    assert z['shape'].shape == (3, 100) and z['exp'].shape == (3, 50)
    assert z['pose'].shape == (3, 6) and z['cam'].shape == (3, 3)
    # the crop transforms equal the generator's (same landmark rule)
    ref = np.load(osp.join(cvthead_small_data, 'deca', f'{name}.npz'))
    np.testing.assert_allclose(z['tform'], ref['tform'][videos[name]],
                               rtol=1e-5, atol=1e-4)
