"""Precompute DECA codes and crop transforms for VoxCelebReenactDataset.

    python tools/dataset_converters/voxceleb_deca_codes.py DATA_ROOT \
        --deca data/pretrained/deca_model.tar [--splits train test] \
        [--out-dir deca] [--device cuda] [--batch-size 64]

For every video of the split files: the crop transform from the frame's 68
landmarks (``landmarks/{video}.pkl``, DECA's rule), the 224 crop of
``frames/{video}/{fid:05d}.png``, and DECA's coarse codes, written to
``{out_dir}/{video}.npz`` (``frame_ids shape exp pose cam tform``). DECA is
frozen and deterministic, so this is equivalent to running it during
training.
"""
import argparse
import json
import os
import os.path as osp

import cv2
import numpy as np
import torch

from mmhuman_ext.geometry.ortho_crop import estimate_crop_tform, warp_crop
from mmhuman_ext.utils.atomic_io import atomic_savez
from mmhuman_ext.utils.safe_pickle import safe_load_pickle


def codes_for_video(deca, root, video, frames, device, batch_size=64):
    """``dict`` of stacked codes of one video's ``frames``."""
    ldmk = safe_load_pickle(osp.join(root, 'landmarks', f'{video}.pkl'))
    out = {k: [] for k in ('shape', 'exp', 'pose', 'cam', 'tform')}
    for start in range(0, len(frames), batch_size):
        chunk = frames[start:start + batch_size]
        imgs = []
        for fid in chunk:
            path = osp.join(root, 'frames', video, f'{fid:05d}.png')
            img = cv2.imread(path)
            if img is None:
                raise FileNotFoundError(f'cannot read {path}')
            imgs.append(img[..., ::-1].transpose(2, 0, 1) / 255.)
        imgs = torch.from_numpy(np.stack(imgs)).float().to(device)
        lmk = torch.from_numpy(np.stack([
            np.asarray(ldmk[fid]['ldmk'], np.float32) for fid in chunk
        ])).to(device)
        tform = estimate_crop_tform(lmk)
        with torch.no_grad():
            codes = deca(warp_crop(imgs, tform))
        for k in ('shape', 'exp', 'pose', 'cam'):
            out[k].append(codes[k].cpu().numpy())
        out['tform'].append(tform.cpu().numpy())
    return {k: np.concatenate(v).astype(np.float32) for k, v in out.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data_root')
    p.add_argument('--deca', required=True, help='deca_model.tar')
    p.add_argument('--splits', nargs='+', default=['train', 'test'])
    p.add_argument('--out-dir', default='deca')
    p.add_argument('--device', default='cpu')
    p.add_argument('--batch-size', type=int, default=64)
    a = p.parse_args(argv)
    from mmhuman_ext.models.editors.cvthead.deca_encoder import DECAEncoder
    deca = DECAEncoder(ckpt=a.deca).to(a.device)
    out_dir = osp.join(a.data_root, a.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    for split in a.splits:
        with open(osp.join(a.data_root, f'{split}_imgs.json')) as f:
            videos = json.load(f)
        for video, frames in sorted(videos.items()):
            codes = codes_for_video(deca, a.data_root, video, frames,
                                    a.device, a.batch_size)
            atomic_savez(osp.join(out_dir, f'{video}.npz'),
                         frame_ids=np.asarray(frames), **codes)
        print(f'{split}: {len(videos)} videos -> {out_dir}')


if __name__ == '__main__':
    main()
