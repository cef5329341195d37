"""Write MaskINT's offline token cache: colour and structure VQ tokens of
every frame of every video, once, so that training reads tokens only.

    python tools/dataset_converters/maskint_precompute_tokens.py CONFIG
        [--data-root DIR] [--ann-files train.json val.json]
        [--out-dir DIR] [--size H W] [--device cpu]
        [--synthetic] [--fit-patch-codebook]

The tokenizer and the structure detector are the config's
``model.data_preprocessor`` ones; ``data_root``, ``token_root`` and
``frame_size`` default to the config's variables of those names. For each
annotation file (the ``VideoFramesClipDataset`` format) the tool writes
``OUT/tokens/<video_id>.npz`` (``color``, ``structure``: uint16 ``(L, h,
w)``; ``codebook``) and ``OUT/<ann file>`` (``{"codebook", "videos":
[{video_id, num_frames, fps, token_path}]}``), every file atomically.
Structure maps are read from an entry's ``structure`` folder when it has
one, else computed by the detector. Every token file and annotation file
records the identity of the tokenizer's codebook (``codebook``: its size and
a hash of its table).
Existing token files made with the same codebook are kept (``--overwrite``
redoes them); those made with another codebook, recording none, or
unreadable are rewritten (and counted).

``--synthetic`` first writes the built-in synthetic videos into the data
root (config ``synthetic_cfg``); ``--fit-patch-codebook`` fits the
``PatchVQTokenizer`` codebook of the config (k-means over the patches of
the first annotation file's frames and structure maps, config
``codebook_cfg``) and writes it to the path the config names.
"""
import argparse
import io
import json
import os
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.utils import ProgressBar

from mmhuman_ext.datasets.transforms.video_clip_transforms import (
    LoadVideoFrames, ResizeVideo, read_token_codebook)
from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils import register_all_modules
from mmhuman_ext.utils.atomic_io import atomic_write_bytes, atomic_write_text


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--data-root')
    parser.add_argument('--ann-files', nargs='+',
                        default=['train.json', 'val.json'])
    parser.add_argument('--out-dir')
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'))
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--chunk', type=int, default=32,
                        help='frames tokenised per call')
    parser.add_argument('--synthetic', action='store_true',
                        help='write the built-in synthetic videos first')
    parser.add_argument('--fit-patch-codebook', action='store_true',
                        help="fit the config's PatchVQTokenizer codebook")
    parser.add_argument('--overwrite', action='store_true')
    return parser.parse_args(argv)


def _entries(ann_path: str) -> list:
    if not osp.isfile(ann_path):
        raise FileNotFoundError(
            f'annotation file {ann_path} does not exist; expected JSON '
            '{"videos": [{"video_id", "num_frames", "frames" or "video", '
            '...}]}')
    with open(ann_path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or 'videos' not in data:
        raise ValueError(f'{ann_path}: expected a JSON object with a '
                         '"videos" list')
    return data['videos']


def load_video(entry: dict, data_root: str, size) -> dict:
    """All frames (and structure maps) of one annotation entry, resized:
    ``frames (L, H, W, 3)``, ``structure_maps (L, H, W, 1)`` uint8."""
    results = dict(frame_inds=np.arange(int(entry['num_frames'])))
    if 'frames' in entry:
        results['frame_dir'] = osp.join(data_root, entry['frames'])
    else:
        results['video_path'] = osp.join(data_root, entry['video'])
    if entry.get('structure'):
        results['structure_dir'] = osp.join(data_root, entry['structure'])
    results = LoadVideoFrames(with_structure=True)(results)
    return ResizeVideo(size)(results) if size else results


def fit_codebook(cfg, data_root: str, ann_file: str, size) -> None:
    from mmhuman_ext.models.editors.maskint.vq_tokenizer import (
        fit_patch_codebook, save_patch_codebook)
    tok_cfg = cfg.model.data_preprocessor.tokenizer
    if tok_cfg.get('type') != 'PatchVQTokenizer':
        raise ValueError('--fit-patch-codebook needs a PatchVQTokenizer in '
                         f'model.data_preprocessor.tokenizer, got '
                         f'{tok_cfg.get("type")}')
    opts = dict(cfg.get('codebook_cfg', {}))
    num_codes = opts.pop('num_codes', 512)
    images = []
    entries = _entries(osp.join(data_root, ann_file))
    progress = ProgressBar(len(entries))
    for entry in entries:
        video = load_video(entry, data_root, size)
        images.append(torch.from_numpy(video['frames']).permute(0, 3, 1, 2))
        if 'structure_maps' in video:
            images.append(
                torch.from_numpy(video['structure_maps']).permute(
                    0, 3, 1, 2).expand(-1, 3, -1, -1))
        progress.update()
    images = torch.cat(images).float() / 127.5 - 1
    print(f'\nfitting {num_codes} patch codes on {len(images)} images')
    codebook = fit_patch_codebook(images, num_codes, **opts)
    save_patch_codebook(codebook, tok_cfg['codebook'])
    print(f'codebook written to {tok_cfg["codebook"]}')


def _recorded_codebook(path: str):
    """The codebook identity a token file records; None when it records
    none or cannot be read (then it is rewritten)."""
    try:
        return read_token_codebook(path)
    except ValueError:
        return None


def tokenize_video(preprocessor, video: dict, device: str,
                   chunk: int) -> dict:
    """``color`` / ``structure`` uint16 ``(L, h, w)`` of one video."""
    frames = torch.from_numpy(video['frames']).permute(0, 3, 1, 2)
    maps = video.get('structure_maps')
    if maps is not None:
        maps = torch.from_numpy(maps).permute(0, 3, 1, 2)
    color, structure = [], []
    for start in range(0, len(frames), chunk):
        f = frames[start:start + chunk].to(device)[None].float() / 127.5 - 1
        m = None if maps is None else maps[start:start + chunk].to(
            device)[None].float() / 255
        color.append(preprocessor.encode_images(f)[0].cpu())
        structure.append(preprocessor.structure_tokens(f, m)[0].cpu())
    return dict(color=torch.cat(color).numpy().astype(np.uint16),
                structure=torch.cat(structure).numpy().astype(np.uint16))


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    data_root = args.data_root or cfg.get('data_root')
    out_dir = args.out_dir or cfg.get('token_root')
    size = tuple(args.size) if args.size else cfg.get('frame_size')
    if not data_root or not out_dir:
        raise ValueError('give --data-root and --out-dir (or set data_root '
                         'and token_root in the config)')
    if args.synthetic:
        from mmhuman_ext.datasets.synthetic.videos import \
            ensure_synthetic_videos
        ensure_synthetic_videos(data_root, **cfg.get('synthetic_cfg', {}))
    if args.fit_patch_codebook:
        fit_codebook(cfg, data_root, args.ann_files[0], size)
    preprocessor = MODELS.build(cfg.model.data_preprocessor).to(args.device)
    if preprocessor.tokenizer.codebook_size > 65536:
        raise ValueError('token ids are stored as uint16; the codebook has '
                         f'{preprocessor.tokenizer.codebook_size} codes')
    codebook = preprocessor.tokenizer.codebook_identity
    os.makedirs(osp.join(out_dir, 'tokens'), exist_ok=True)
    for ann_file in args.ann_files:
        entries = _entries(osp.join(data_root, ann_file))
        out_entries = []
        stale = 0
        print(f'tokenising {len(entries)} videos of {ann_file}')
        progress = ProgressBar(len(entries))
        for entry in entries:
            rel = f'tokens/{entry["video_id"]}.npz'
            path = osp.join(out_dir, rel)
            redo = args.overwrite or not osp.isfile(path)
            if not redo and _recorded_codebook(path) != codebook:
                redo, stale = True, stale + 1
            if redo:
                video = load_video(entry, data_root, size)
                with torch.no_grad():
                    tokens = tokenize_video(preprocessor, video, args.device,
                                            args.chunk)
                buf = io.BytesIO()
                np.savez(buf, codebook=np.array(codebook), **tokens)
                atomic_write_bytes(path, buf.getvalue())
            out_entries.append(dict(video_id=entry['video_id'],
                                    num_frames=int(entry['num_frames']),
                                    fps=entry.get('fps'), token_path=rel))
            progress.update()
        atomic_write_text(
            osp.join(out_dir, ann_file),
            json.dumps(dict(codebook=codebook, videos=out_entries), indent=1))
        print(f'\n{ann_file}: {len(out_entries)} videos -> {out_dir}')
        if stale:
            print(f'{ann_file}: {stale} existing token files were made with '
                  f'another codebook (or are unreadable) and were rewritten '
                  f'with {codebook}')


if __name__ == '__main__':
    main()
