import pytest
import torch

from mmhuman_ext.models.editors.maskint.structure import (CannyEdgeDetector,
                                                          DepthDetector,
                                                          HEDEdgeDetector)
from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.pretrained import MissingPretrainedError


def controlnet_hed_keys():
    """Parameter names of ControlNet's annotator (annotator/hed:
    ``ControlNetHED_Apache2``: ``norm`` and ``block{1..5}`` of
    ``DoubleConvBlock`` with ``convs`` (a Sequential of 2/2/3/3/3 convs) and
    a 1x1 ``projection``), written out independently of our module."""
    keys = ['norm']
    for block, convs in enumerate((2, 2, 3, 3, 3), start=1):
        for i in range(convs):
            keys += [f'block{block}.convs.{i}.weight',
                     f'block{block}.convs.{i}.bias']
        keys += [f'block{block}.projection.weight',
                 f'block{block}.projection.bias']
    return keys


def test_hed_layout_matches_controlnet_annotator():
    hed = MODELS.build(dict(type='HEDEdgeDetector'))
    state = hed.state_dict()
    assert list(state) == controlnet_hed_keys()
    assert state['norm'].shape == (1, 3, 1, 1)
    assert state['block4.convs.0.weight'].shape == (512, 256, 3, 3)
    assert state['block5.projection.weight'].shape == (1, 512, 1, 1)
    assert sum(p.numel() for p in hed.parameters()) == 14_716_168
    assert not any(p.requires_grad for p in hed.parameters())
    hed.train()
    assert not hed.training


def test_hed_loads_checkpoint_and_averages_side_outputs(tmp_path):
    hed = HEDEdgeDetector()
    state = {k: torch.zeros_like(v) for k, v in hed.state_dict().items()}
    biases = [-2., -1., 0.5, 1., 3.]
    for i, b in enumerate(biases, start=1):
        state[f'block{i}.projection.bias'] = torch.tensor([b])
    path = tmp_path / 'ControlNetHED.pth'
    torch.save(state, path)
    loaded = HEDEdgeDetector(checkpoint=str(path))
    edges = loaded(torch.rand(2, 3, 40, 56))
    assert edges.shape == (2, 1, 40, 56)
    # zero convs: every side output is its bias; mean then sigmoid
    expected = torch.sigmoid(torch.tensor(biases).mean())
    assert torch.allclose(edges, expected.expand_as(edges))


def test_hed_input_scale_and_mean():
    """RGB in [0, 255] minus the learned mean: a frame equal to the mean
    gives zero input, i.e. the same output as a zero-weight first conv."""
    torch.manual_seed(0)
    hed = HEDEdgeDetector()
    hed.norm.data = torch.tensor([100., 50., 200.]).view(1, 3, 1, 1)
    frame = (hed.norm / 255.).expand(1, 3, 16, 16)
    blank = HEDEdgeDetector()
    blank.load_state_dict(hed.state_dict())
    blank.norm.data.zero_()
    assert torch.allclose(hed(frame), blank(torch.zeros(1, 3, 16, 16)),
                          atol=1e-6)


def test_hed_missing_checkpoint_names_file(tmp_path):
    path = str(tmp_path / 'nope' / 'ControlNetHED.pth')
    with pytest.raises(MissingPretrainedError,
                       match='ControlNetHED.pth.*lllyasviel/Annotators'):
        HEDEdgeDetector(checkpoint=path)


def test_canny_marks_square_border():
    frames = torch.zeros(1, 3, 32, 32)
    frames[..., 8:24, 8:24] = 1
    edges = MODELS.build(dict(type='CannyEdgeDetector'))(frames)
    assert edges.shape == (1, 1, 32, 32)
    assert set(edges.unique().tolist()) == {0., 1.}
    on = edges[0, 0].nonzero()
    # edges hug the square's border, nothing inside or far outside
    assert on.min() >= 6 and on.max() <= 25
    assert edges[0, 0, 12:20, 12:20].sum() == 0
    with pytest.raises(ValueError, match='low_threshold'):
        CannyEdgeDetector(200, 100)


def _tiny_dpt(folder):
    from transformers import DPTConfig, DPTForDepthEstimation
    cfg = DPTConfig(hidden_size=32, num_hidden_layers=4,
                    num_attention_heads=4, intermediate_size=37,
                    image_size=32, patch_size=16,
                    neck_hidden_sizes=[16, 16, 16, 16],
                    fusion_hidden_size=16, backbone_out_indices=[0, 1, 2, 3])
    torch.manual_seed(0)
    model = DPTForDepthEstimation(cfg)
    last = model.head.head[4]  # conv before the final ReLU: keep it positive
    last.weight.data.abs_()
    last.bias.data.fill_(0.5)
    model.save_pretrained(folder)


def test_depth_detector_normalisation(tmp_path):
    _tiny_dpt(str(tmp_path / 'dpt'))
    frames = torch.rand(3, 3, 48, 64)
    det = DepthDetector(str(tmp_path / 'dpt'), input_size=32)
    depth = det(frames)
    assert depth.shape == (3, 1, 48, 64)
    flat = depth.flatten(1)
    assert torch.allclose(flat.amin(1), torch.zeros(3), atol=1e-6)
    assert torch.allclose(flat.amax(1), torch.ones(3), atol=1e-6)


class _RampDepth(torch.nn.Module):
    """Stand-in DPT: depth = frame index + a horizontal ramp."""

    def forward(self, pixel_values):
        b, _, h, w = pixel_values.shape
        ramp = torch.linspace(0, 1, w).expand(b, h, w)
        offset = torch.arange(b, dtype=torch.float32).view(b, 1, 1)
        return type('Out', (), dict(predicted_depth=ramp + offset))


@pytest.mark.parametrize('mode', ['frame', 'clip'])
def test_depth_frame_and_clip_ranges(tmp_path, mode):
    _tiny_dpt(str(tmp_path / 'dpt'))
    det = DepthDetector(str(tmp_path / 'dpt'), input_size=32,
                        normalize=mode)
    det.model = _RampDepth()
    depth = det(torch.rand(2, 3, 32, 32)).flatten(1)
    if mode == 'frame':  # each frame spans [0, 1]
        assert torch.allclose(depth.amax(1), torch.ones(2), atol=1e-5)
        assert torch.allclose(depth.amin(1), torch.zeros(2), atol=1e-5)
    else:  # one range for the clip [0, 2]: halves
        assert depth[0].max() == pytest.approx(0.5, abs=1e-3)
        assert depth[1].min() == pytest.approx(0.5, abs=1e-3)
        assert depth[1].max() == pytest.approx(1., abs=1e-5)


def test_depth_detector_missing_folder(tmp_path):
    with pytest.raises(MissingPretrainedError,
                       match='depth detector.*dpt-hybrid-midas'):
        DepthDetector(str(tmp_path / 'absent'))
