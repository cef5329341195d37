"""tools/analysis/maskint_edit_cost.py, maskint_edit_memory.py and
maskint_demo_edit.py on the tiny random networks."""
import json
import os.path as osp
import sys

import torch

ROOT = osp.join(osp.dirname(__file__), '..', '..')
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
sys.path.insert(
    0, osp.join(ROOT, 'tests', 'test_models', 'test_editors', 'test_maskint'))
import maskint_edit_cost  # noqa: E402
import maskint_edit_memory  # noqa: E402
from maskint_tiny import CONFIG, write_clip_tokenizer  # noqa: E402

STEPS = ['--cfg-options', 'model.keyframe_editor.num_inference_steps=3',
         'model.num_steps=4']


def test_flops_count_every_pass_and_attention(tmp_path):
    out = str(tmp_path / 'flops.json')
    maskint_edit_cost.main([CONFIG, '--flops', '--frames', '6', '--out',
                            out, *STEPS])
    with open(out) as f:
        res = json.load(f)
    rows = res['rows']
    joint = rows['ControlNet + U-Net step, 2 keyframes jointly (4 samples)']
    single = rows['ControlNet + U-Net step, 1 frame (2 samples)']
    assert (joint['maskint'], single['per_frame']) == (3, 6 * 3)
    # extended attention: two keyframes jointly cost more than twice one
    assert joint['unit'] > 2 * single['unit']
    assert rows['MaskINT transformer pass, whole clip']['maskint'] == 4
    assert rows['VQ encode, per frame']['maskint'] == 2 + 6
    assert rows['HED, per frame']['per_frame'] == 6
    maskint = sum(r['unit'] * r['maskint'] for r in rows.values())
    assert res['totals'][0] == maskint > 0


def test_timing_is_one_interleaved_run(tmp_path):
    out = str(tmp_path / 'time.json')
    maskint_edit_cost.main([CONFIG, '--time', '--frames', '4', '--repeats',
                            '2', '--resolution', '32', '48', '--out', out,
                            *STEPS])
    with open(out) as f:
        res = json.load(f)
    assert res['size'] == [32, 48]
    assert len(res['round_ratios']) == 2 and res['ratio'] > 0
    assert all(len(r['rounds']) == 2 for r in res['rows'].values())


def test_memory_tool_runs_one_process_per_length(tmp_path):
    out = str(tmp_path / 'mem.json')
    tok = write_clip_tokenizer(str(tmp_path / 'tok'))
    maskint_edit_memory.main([
        CONFIG, 'none', '--lengths', '5', '20', '--size', '40', '56',
        '--no-gif', '--out', out, '--cfg-options',
        'model.keyframe_editor.guidance_scale=1', 'model.num_steps=2',
        'model.keyframe_editor.num_inference_steps=2',
        f'model.keyframe_editor.tokenizer.from_pretrained={tok}'
    ])
    with open(out) as f:
        res = json.load(f)
    assert [r['frames'] for r in res['rows']] == [5, 20]
    assert [r['keyframes'] for r in res['rows']] == [2, 3]
    for row in res['rows']:
        assert row['peak_mb'] >= row['loaded_mb'] > 0
    assert res['rows'][1]['float_video_mb'] == 20 * 40 * 56 * 3 * 4 / 2**20


def test_demo_edit_scores_every_row():
    sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
    import maskint_demo_edit

    from mmhuman_ext.apis.video_editing import VideoEditor
    from maskint_tiny import tiny_pipeline_cfg
    from mmhuman_ext.registry import MODELS
    cfg = tiny_pipeline_cfg()
    cfg['keyframe_editor'] = dict(type='HueShiftKeyframeEditor')
    torch.manual_seed(0)
    editor = VideoEditor(MODELS.build(cfg))
    gen = torch.Generator().manual_seed(0)
    dataset = [
        dict(inputs=dict(frames=torch.randint(0, 256, (5, 3, 64, 96),
                                              generator=gen,
                                              dtype=torch.uint8)))
        for _ in range(2)
    ]
    means, strip = maskint_demo_edit.evaluate(editor, dataset, 1)
    assert set(means) == {'maskint', 'linear', 'nearest', 'vq'}
    assert all(set(m) == {'psnr', 'ssim', 'lpips'} for m in means.values())
    assert [label for _, label in strip] == [
        'source', 'ground truth', 'MaskINT', 'linear blend',
        'nearest keyframe']
