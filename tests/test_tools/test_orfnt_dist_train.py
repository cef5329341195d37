"""ORFNT: two-process gloo training through tools/dist_train.sh for two
iterations of every stage, each stage loading the previous stage's last
checkpoint (the demo recipe on a tiny puppet set)."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from mmhuman_ext.utils.checkpoint import load_checkpoint_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = [
    'orfnt-tiny-s1-geometry_1xb4-300i_puppets-64to128',
    'orfnt-tiny-s2-warping_1xb4-1200i_puppets-64to128',
    'orfnt-tiny-s3-joint_1xb4-1500i_puppets-64to128',
    'orfnt-tiny-s4-blender-sr_1xb4-600i_puppets-64to128',
]


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _dist_train(config, work_dir, options):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1',
               PORT=str(_free_port()), PYTHON=sys.executable)
    return subprocess.run(
        ['bash', 'tools/dist_train.sh', config, '2', '--work-dir',
         str(work_dir), '--cfg-options', *options],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_two_processes_train_every_stage(tmp_path):
    data = tmp_path / 'puppets'
    common = [
        f'train_dataloader.dataset.data_root={data}',
        'train_dataloader.dataset.generator_cfg.num_train=2',
        'train_dataloader.dataset.generator_cfg.num_test=1',
        'train_dataloader.dataset.generator_cfg.num_frames=4',
        'train_dataloader.dataset.generator_cfg.size=128',
        'train_dataloader.batch_size=1', 'train_cfg.max_iters=2',
        'train_cfg.val_interval=1000', 'val_cfg=None',
        'val_dataloader=None', 'val_evaluator=None', 'test_cfg=None',
        'test_dataloader=None', 'test_evaluator=None',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1'
    ]
    stages = [(name, []) for name in DEMO]
    stages.append((DEMO[0] + '-e2e', ['model.train_stage=e2e']))
    previous = None
    for name, extra in stages:
        config = osp.join('configs', 'demo',
                          name.replace('-e2e', '') + '.py')
        work_dir = tmp_path / name
        options = common + extra
        if previous is not None:
            options.append(f'load_from={previous}')
        out = _dist_train(config, work_dir, options)
        assert out.returncode == 0, (name, out.stderr[-4000:])
        log = out.stdout + out.stderr
        assert 'loss' in log and 'Iter(train) [2/2]' in log, log[-2000:]
        ckpt = work_dir / 'iter_2.pth'
        state = load_checkpoint_file(ckpt)['state_dict']
        if previous is not None:
            # the stage started from the previous stage's weights: a frozen
            # tensor of this stage still equals the loaded one
            before = load_checkpoint_file(previous)['state_dict']
            frozen = {
                'orfnt-tiny-s2-warping_1xb4-1200i_puppets-64to128':
                'generator.texture_branch.seg_head.weight',
                'orfnt-tiny-s4-blender-sr_1xb4-600i_puppets-64to128':
                'generator.motion_net.flow_heads.0.weight',
            }.get(name)
            if frozen is not None:
                assert torch.equal(state[frozen], before[frozen])
        previous = str(ckpt)
