"""Networks and detectors of the motion-transfer metrics, as the public
``pose-evaluation`` scripts (AliaksandrSiarohin/pose-evaluation, used by the
tables of FOMM, MRAA, TPSMM and the ORFNT paper) run them.

* :class:`OpenPoseBodyNet`: the CMU OpenPose COCO-18 body network (VGG-19
  trunk to conv4_2, two CPM convs, 6 stages of PAF / heatmap branches), with
  the layer names of the PyTorch port those scripts load (``model0.*``,
  ``model1_1.*`` .. ``model6_2.*``), so ``pose_model.pth`` loads as is;
  state dicts with the CMU caffe layer names (``conv1_1`` ..
  ``Mconv7_stage6_L2``) are renamed on loading.
* :class:`OpenPose18Detector`: that script's ``body_pose`` extraction: the
  frame in BGR order, scaled so its height is 368, padded to a multiple of 8,
  ``x / 256 - 0.5``; heatmaps upsampled x8 (bicubic), cropped and resized
  back to the frame; averaged with the heatmaps of the mirrored frame (left /
  right channels swapped); peaks = 4-neighbour local maxima above 0.1,
  refined to the maximum of their 5x5 window. The script then writes every
  peak into an 18-row table by joint type, so when a joint type has several
  peaks the **last one** (row-major order) stays; joints without a peak are
  ``-1``. The PAF grouping it also runs does not change that table and is
  left out.
* :class:`MarkerKeypointDetector`: finds the coloured joint markers of the
  built-in puppet data (for demos without OpenPose weights).
* :class:`ReIDResNet50`: the re-ID network of ``body_id`` (``ft_net`` of
  layumi/Person_reID_baseline_pytorch, 751 Market-1501 classes) with its
  bottleneck and classifier removed: the 2048-d pooled ResNet-50 feature.
  ``pose_evaluation`` preprocessing: PIL bicubic resize to 288x144,
  ``ToTensor`` (/255) **and** ``Normalize(0, 255)`` (/255 again), then the
  ImageNet normalisation; the script never calls ``eval()``, so batch norm
  normalises with each image's own statistics. ``'standard'``: one /255 and
  the running statistics.

Every network loads its weights from a local file (``weights_path``); None
keeps random weights (tests only) with a warning.
"""
import warnings
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import generate_binary_structure, maximum_filter
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.pretrained import load_state_dict_file

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# heatmap channel order after a horizontal flip (OpenPose-18 + background)
OPENPOSE18_FLIP = (0, 1, 5, 6, 7, 2, 3, 4, 11, 12, 13, 8, 9, 10, 15, 14, 17,
                   16, 18)


def warn_random_weights(what: str) -> None:
    warnings.warn(f'{what}: no weights_path given, using RANDOM weights '
                  '(tests only; metric values are meaningless)')


# ------------------------------------------------------------ OpenPose
def _conv_stack(spec: Sequence[tuple], last_relu: bool) -> nn.Sequential:
    """``spec`` rows: ``(in, out, kernel)`` convs (stride 1, same padding)
    each followed by ReLU, or ``'pool'`` (2x2 max pool)."""
    layers: List[nn.Module] = []
    for i, row in enumerate(spec):
        if row == 'pool':
            layers.append(nn.MaxPool2d(2, 2))
            continue
        cin, cout, k = row
        layers.append(nn.Conv2d(cin, cout, k, 1, k // 2))
        if last_relu or i < len(spec) - 1:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


@MODELS.register_module()
class OpenPoseBodyNet(nn.Module):
    """CMU OpenPose body network, COCO-18 (Cao et al., CVPR 2017).

    ``(B, 3, H, W)`` (BGR, ``x / 256 - 0.5``, H, W multiples of 8) ->
    ``pafs (B, 38, H/8, W/8)``, ``heatmaps (B, 19, H/8, W/8)`` (18 joints +
    background) of the last stage.

    Args:
        weights_path (str, optional): ``pose_model.pth`` of the
            pose-evaluation repository (or any state dict with this layout).
    """

    def __init__(self, weights_path: Optional[str] = None):
        super().__init__()
        self.model0 = _conv_stack(
            [(3, 64, 3), (64, 64, 3), 'pool', (64, 128, 3), (128, 128, 3),
             'pool', (128, 256, 3), (256, 256, 3), (256, 256, 3),
             (256, 256, 3), 'pool', (256, 512, 3), (512, 512, 3),
             (512, 256, 3), (256, 128, 3)], last_relu=True)
        for branch, out in ((1, 38), (2, 19)):
            setattr(self, f'model1_{branch}', _conv_stack(
                [(128, 128, 3)] * 3 + [(128, 512, 1), (512, out, 1)],
                last_relu=False))
            for stage in range(2, 7):
                setattr(self, f'model{stage}_{branch}', _conv_stack(
                    [(185, 128, 7)] + [(128, 128, 7)] * 4 +
                    [(128, 128, 1), (128, out, 1)], last_relu=False))
        if weights_path is None:
            warn_random_weights('OpenPoseBodyNet')
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.normal_(m.weight, std=0.01)
                    nn.init.zeros_(m.bias)
        else:
            state = load_state_dict_file(
                weights_path, 'OpenPose body (COCO-18)',
                'use pose_model.pth of AliaksandrSiarohin/pose-evaluation '
                '(README "Poses") or the PyTorch port of the CMU model, '
                'body_pose_model.pth (caffe layer names)')
            self.load_state_dict(self.from_caffe_names(state))
        self.requires_grad_(False).eval()

    def caffe_names(self) -> Dict[str, str]:
        """``{our parameter name: CMU caffe name}``, e.g.
        ``model0.0.weight -> conv1_1.weight``, ``model6_2.12.bias ->
        Mconv7_stage6_L2.bias``."""
        names = ['conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1',
                 'conv3_2', 'conv3_3', 'conv3_4', 'conv4_1', 'conv4_2',
                 'conv4_3_CPM', 'conv4_4_CPM']
        blocks = {'model0': names}
        for b in (1, 2):
            blocks[f'model1_{b}'] = [f'conv5_{i}_CPM_L{b}' for i in
                                     range(1, 6)]
            for t in range(2, 7):
                blocks[f'model{t}_{b}'] = [f'Mconv{i}_stage{t}_L{b}'
                                           for i in range(1, 8)]
        out = {}
        for block, layer_names in blocks.items():
            convs = [i for i, m in enumerate(getattr(self, block))
                     if isinstance(m, nn.Conv2d)]
            for i, name in zip(convs, layer_names):
                for p in ('weight', 'bias'):
                    out[f'{block}.{i}.{p}'] = f'{name}.{p}'
        return out

    def from_caffe_names(self, state: Dict[str, Tensor]
                         ) -> Dict[str, Tensor]:
        """Rename a state dict with CMU caffe layer names (flat, or under
        a block prefix such as ``model0.conv1_1.weight``) to ours; a state
        dict in our layout is returned as it is."""
        if any(k.startswith('model0.0.') for k in state):
            return state
        flat = {k.split('.', 1)[1] if k.count('.') == 2 else k: v
                for k, v in state.items()}
        mapping = self.caffe_names()
        missing = [c for c in mapping.values() if c not in flat]
        if missing:
            raise KeyError(f'OpenPose weights: neither our layer names '
                           f'(model0.0.weight ...) nor the CMU caffe names; '
                           f'missing {missing[:3]} ...')
        return {ours: flat[caffe] for ours, caffe in mapping.items()}

    def forward(self, x: Tensor):
        feat = self.model0(x)
        paf, heat = self.model1_1(feat), self.model1_2(feat)
        for stage in range(2, 7):
            cat = torch.cat([paf, heat, feat], 1)
            paf = getattr(self, f'model{stage}_1')(cat)
            heat = getattr(self, f'model{stage}_2')(cat)
        return paf, heat


def heatmap_peaks(heatmap: np.ndarray, threshold: float = 0.1,
                  window: int = 2) -> np.ndarray:
    """OpenPose-18 joints ``(18, 2)`` from full-resolution heatmaps
    ``(H, W, >=18)`` as ``pose-evaluation`` keeps them: for each joint type
    the last (row-major) 4-neighbour local maximum above ``threshold``,
    moved to the maximum of its ``(2 * window + 1)^2`` window; ``-1`` where
    there is none."""
    out = -np.ones((18, 2))
    cross = generate_binary_structure(2, 1)
    for j in range(18):
        hm = heatmap[:, :, j]
        peaks = (maximum_filter(hm, footprint=cross) == hm) & (hm > threshold)
        ys, xs = np.nonzero(peaks)
        if len(ys) == 0:
            continue
        y, x = ys[-1], xs[-1]
        y0, x0 = max(0, y - window), max(0, x - window)
        patch = hm[y0:y + window + 1, x0:x + window + 1]
        dy, dx = np.unravel_index(patch.argmax(), patch.shape)
        out[j] = (x0 + dx, y0 + dy)
    return out


@MODELS.register_module()
class OpenPose18Detector(nn.Module):
    """OpenPose-18 keypoints of RGB uint8 frames, the ``pose-evaluation``
    ``body_pose`` way (module docstring).

    Args:
        weights_path (str, optional): see :class:`OpenPoseBodyNet`.
        input_height (int): network input height (368).
        flip (bool): average with the mirrored frame (True).
        threshold (float): heatmap peak threshold (0.1).
    """

    def __init__(self, weights_path: Optional[str] = None,
                 input_height: int = 368, flip: bool = True,
                 threshold: float = 0.1):
        super().__init__()
        self.net = OpenPoseBodyNet(weights_path)
        self.input_height, self.flip = input_height, flip
        self.threshold = threshold

    def heatmaps(self, bgr: np.ndarray) -> np.ndarray:
        """Heatmaps ``(H, W, 19)`` of one BGR uint8 frame at its size."""
        h, w = bgr.shape[:2]
        scale = self.input_height / min(h, w)
        img = cv2.resize(bgr, None, fx=scale, fy=scale)
        rh, rw = img.shape[:2]
        ph, pw = -(-rh // 8) * 8, -(-rw // 8) * 8
        padded = np.zeros((ph, pw, 3), np.uint8)
        padded[:rh, :rw] = img
        x = torch.from_numpy(padded.astype(np.float32) / 256 - 0.5)
        device = next((p.device for p in self.net.parameters()),
                      torch.device('cpu'))
        _, heat = self.net(x.permute(2, 0, 1)[None].to(device))
        heat = heat[0].permute(1, 2, 0).cpu().numpy()
        heat = cv2.resize(heat, None, fx=8, fy=8,
                          interpolation=cv2.INTER_CUBIC)[:rh, :rw]
        return cv2.resize(heat, (w, h), interpolation=cv2.INTER_CUBIC)

    @torch.no_grad()
    def forward(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """``frames``: RGB uint8 ``(H, W, 3)`` -> ``(N, 18, 2)``, -1 where
        missing."""
        out = []
        for rgb in frames:
            bgr = np.ascontiguousarray(rgb[..., ::-1])
            heat = self.heatmaps(bgr)
            if self.flip:
                mirrored = self.heatmaps(np.ascontiguousarray(bgr[:, ::-1]))
                heat = (heat + mirrored[:, ::-1][:, :, OPENPOSE18_FLIP]) / 2
            out.append(heatmap_peaks(heat, self.threshold))
        return np.stack(out)


@MODELS.register_module()
class MarkerKeypointDetector(nn.Module):
    """Joints of the built-in puppet data from their colour markers: joint
    ``j`` is the centroid of the pixels within ``tolerance`` (RGB distance)
    of its marker colour, missing (``-1``) when fewer than ``min_pixels``
    match. A generated frame scores well only if it puts each marker where
    the driving pose has it.

    Args:
        colours (array, optional): ``(18, 3)`` RGB marker colours; default
            :data:`~mmhuman_ext.datasets.synthetic.puppets.MARKER_COLOURS`.
        tolerance (float): 60.
        min_pixels (int): 4.
    """

    def __init__(self, colours=None, tolerance: float = 60.,
                 min_pixels: int = 4):
        super().__init__()
        if colours is None:
            from mmhuman_ext.datasets.synthetic.puppets import MARKER_COLOURS
            colours = MARKER_COLOURS
        self.colours = np.asarray(colours, np.float32)
        self.tolerance, self.min_pixels = tolerance, min_pixels

    def forward(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        out = -np.ones((len(frames), len(self.colours), 2))
        for n, rgb in enumerate(frames):
            h, w = rgb.shape[:2]
            pix = rgb.reshape(-1, 1, 3).astype(np.float32)
            dist = np.linalg.norm(pix - self.colours[None], axis=2)
            near = dist <= self.tolerance  # (HW, 18)
            count = near.sum(0)
            ys, xs = np.divmod(np.arange(h * w), w)
            for j in np.nonzero(count >= self.min_pixels)[0]:
                sel = near[:, j]
                out[n, j] = (xs[sel].mean() + 0.5, ys[sel].mean() + 0.5)
        return out


# ---------------------------------------------------------------- re-ID
class _PerImageBatchNorm(nn.Module):
    """A BatchNorm2d evaluated as in training mode on a batch of one image:
    each image normalised by its own per-channel statistics, then the
    layer's affine transform (what ``pose-evaluation`` gets by never calling
    ``eval()``)."""

    def __init__(self, bn: nn.BatchNorm2d):
        super().__init__()
        self.bn = bn

    def forward(self, x: Tensor) -> Tensor:
        return F.instance_norm(x, weight=self.bn.weight, bias=self.bn.bias,
                               use_input_stats=True, eps=self.bn.eps)


@MODELS.register_module()
class ReIDResNet50(nn.Module):
    """Person re-ID embedding (``ft_net`` ResNet-50 of
    Person_reID_baseline_pytorch with its bottleneck and classifier
    removed): RGB uint8 frames -> ``(N, 2048)``.

    Args:
        weights_path (str, optional): ``reid_model.pth`` of pose-evaluation
            (keys ``model.*``; ``model.fc.*`` and ``classifier.*`` are
            dropped) or a torchvision ResNet-50 state dict.
        preprocess (str): ``'pose_evaluation'`` (/255 twice, per-image batch
            norm statistics) or ``'standard'`` (/255 once, running
            statistics).
        input_size (tuple): ``(h, w)`` = ``(288, 144)``.
    """

    def __init__(self, weights_path: Optional[str] = None,
                 preprocess: str = 'pose_evaluation',
                 input_size=(288, 144)):
        super().__init__()
        import torchvision
        if preprocess not in ('pose_evaluation', 'standard'):
            raise ValueError("preprocess is 'pose_evaluation' or 'standard', "
                             f'got {preprocess!r}')
        net = torchvision.models.resnet50(weights=None)
        net.fc = nn.Identity()
        if weights_path is None:
            warn_random_weights('ReIDResNet50')
        else:
            state = load_state_dict_file(
                weights_path, 're-ID ResNet-50 (ft_net, Market-1501)',
                'use reid_baseline/reid_model.pth of '
                'AliaksandrSiarohin/pose-evaluation (README "Poses")')
            if any(k.startswith('model.') for k in state):
                state = {k[len('model.'):]: v for k, v in state.items()
                         if k.startswith('model.')}
            state = {k: v for k, v in state.items()
                     if not k.startswith('fc.')}
            net.load_state_dict(state)
        if preprocess == 'pose_evaluation':
            _replace_batchnorm(net)
        self.net = net.requires_grad_(False).eval()
        self.preprocess, self.input_size = preprocess, tuple(input_size)
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(
            1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(
            1, 3, 1, 1), persistent=False)

    def prepare(self, frames: Sequence[np.ndarray]) -> Tensor:
        """RGB uint8 frames -> the normalised network input
        ``(N, 3, 288, 144)``."""
        from PIL import Image
        h, w = self.input_size
        batch = []
        for rgb in frames:
            img = Image.fromarray(np.ascontiguousarray(rgb)).resize(
                (w, h), Image.BICUBIC)
            batch.append(torch.from_numpy(np.asarray(img).copy()))
        x = torch.stack(batch).permute(0, 3, 1, 2).float() / 255
        if self.preprocess == 'pose_evaluation':
            x = x / 255
        return (x.to(self.mean) - self.mean) / self.std

    @torch.no_grad()
    def forward(self, frames: Sequence[np.ndarray]) -> Tensor:
        return self.net(self.prepare(frames))


def _replace_batchnorm(module: nn.Module) -> None:
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, _PerImageBatchNorm(child))
        else:
            _replace_batchnorm(child)
