"""TokenPose / PPT heatmap head: patch tokens + keypoint tokens + transformer.

Data flow (shapes for PPT-S on COCO, B = batch):

1. CNN features ``(B, C=256, 64, 48)`` are cut into ``(P_h, P_w) = (4, 3)``
   patches, each flattened in ``(p_h, p_w, c)`` order with the channel
   fastest (the official layout, so converted checkpoints match):
   ``(B, N=256, 3072)``.
2. ``patch_embed`` (Linear 3072 -> D=192): visual tokens ``(B, 256, 192)``
   (steps 1-2 run as one strided convolution with the Linear's weight,
   :func:`~mmhuman_ext.models.layers.embed_patches`).
3. J learnable keypoint tokens ``(1, J, D)`` go in front:
   ``(B, J + 256, D)``.
4. :class:`~mmhuman_ext.models.layers.PPTTransformer` (12 pre-norm layers,
   8 heads, MLP ratio 3); the fixed 2D sine table of the 16 x 16 token grid
   is added to the visual tokens before *every* layer ("sine-full"), and
   HTI prunes tokens and table together in layers 3, 6, 9 when
   ``keep_ratio < 1``. ``keep_ratio = 1`` is TokenPose.
5. The J keypoint tokens go through ``mlp_head`` = LN(D) -> Linear(D, D_h)
   -> LN(D_h) -> Linear(D_h, H_h W_h), with ``D_h = H_h W_h / 8``, and are
   reshaped to heatmaps ``(B, J, 64, 48)``. When ``D > D_h / 2`` (only in
   tiny settings) the official rule uses LN(D) -> Linear(D, H_h W_h).

Sizes follow mmpose's codecs: ``feat_size``, ``patch_size`` and
``heatmap_size`` are all ``(width, height)``.

Init (official ``INIT: true``): every Linear trunc-normal(std 0.02) with
bias 0, LayerNorm weight 1 / bias 0, keypoint tokens trunc-normal(0.02).

``predict`` and ``loss`` are mmpose ``HeatmapHead``'s (flip test, codec
decoding, ``KeypointMSELoss``). Loading a state dict whose head tensors do
not fit this head's configuration raises a ``ValueError`` naming both
layouts instead of silently skipping them.
"""
import re
from typing import Optional, Sequence, Tuple, Union

import torch
from mmpose.models.heads import HeatmapHead
from torch import Tensor, nn

from mmhuman_ext.models.layers.patch_embedding import embed_patches
from mmhuman_ext.models.layers.positional_encoding import \
    sine_position_table_2d
from mmhuman_ext.registry import KEYPOINT_CODECS, MODELS

_LAYER_KEY = re.compile(r'transformer\.layers\.(\d+)\.')


@MODELS.register_module()
class PPTHead(HeatmapHead):
    """TokenPose / PPT head (see the module docstring).

    Args:
        in_channels (int): Channels C of the CNN feature map.
        feat_size (tuple[int, int]): ``(W, H)`` of the feature map, e.g.
            ``(48, 64)`` for a 256x192 input at stride 4.
        patch_size (tuple[int, int]): ``(P_w, P_h)``, e.g. ``(3, 4)``.
        num_keypoints (int): J.
        heatmap_size (tuple[int, int]): ``(W_h, H_h)`` of the output.
        embed_dims (int): Token width D. Defaults to 192.
        depth (int): Transformer layers L. Defaults to 12.
        num_heads (int): Attention heads. Defaults to 8.
        mlp_ratio (int): FFN width / D. Defaults to 3.
        qk_scale (str | float): ``'dim'`` (1/sqrt(D), TokenPose-S / PPT-S) or
            ``'head'`` (1/sqrt(D/heads), B and L). Defaults to ``'dim'``.
        prune_layers (Sequence[int]): 0-based layers where HTI prunes.
            Defaults to (3, 6, 9).
        keep_ratio (float): HTI keep ratio r in (0, 1]; 1 = TokenPose.
            Defaults to 0.7.
        hidden_heatmap_dim (int, optional): D_h; defaults to H_h W_h / 8.
        layer_cfg (dict, optional): Replaces the default
            ``PreNormTransformerLayer`` by any prunable layer type (see
            ``models/layers/transformer_layers.py``); ``embed_dims``,
            ``num_heads``, ``mlp_ratio`` and ``qk_scale`` are then ignored
            for the layers.
        loss (dict): Heatmap loss. Defaults to
            ``KeypointMSELoss(use_target_weight=True, loss_weight=0.5)``.
        decoder (dict, optional): Keypoint codec used by ``predict``.
        init_cfg (dict | list, optional): Defaults to the official init.

    Shapes: ``forward(feats)`` takes a tuple whose last item is
    ``(B, C, H, W)`` and returns heatmaps ``(B, J, H_h, W_h)``.
    """

    def __init__(self,
                 in_channels: int,
                 feat_size: Tuple[int, int],
                 patch_size: Tuple[int, int],
                 num_keypoints: int,
                 heatmap_size: Tuple[int, int],
                 embed_dims: int = 192,
                 depth: int = 12,
                 num_heads: int = 8,
                 mlp_ratio: int = 3,
                 qk_scale: Union[str, float] = 'dim',
                 prune_layers: Sequence[int] = (3, 6, 9),
                 keep_ratio: float = 0.7,
                 hidden_heatmap_dim: Optional[int] = None,
                 layer_cfg: Optional[dict] = None,
                 loss: dict = dict(
                     type='KeypointMSELoss',
                     use_target_weight=True,
                     loss_weight=0.5),
                 decoder: Optional[dict] = None,
                 init_cfg=None):
        if init_cfg is None:
            init_cfg = self.default_init_cfg
        # BaseHead's init: HeatmapHead's builds deconv / conv layers and an
        # old-checkpoint key hook that this head does not have
        super(HeatmapHead, self).__init__(init_cfg)
        (fw, fh), (pw, ph) = feat_size, patch_size
        if fw % pw or fh % ph:
            raise ValueError(f'feat_size (w, h) = {tuple(feat_size)} is not '
                             f'divisible by patch_size (w, h) = '
                             f'{tuple(patch_size)}')
        self.in_channels = in_channels
        self.out_channels = num_keypoints
        self.num_keypoints = num_keypoints
        self.feat_size = (fw, fh)
        self.patch_size = (pw, ph)
        self.grid_size = (fw // pw, fh // ph)
        self.heatmap_size = tuple(heatmap_size)
        self.embed_dims = embed_dims
        self.depth = depth
        self.loss_module = MODELS.build(loss)
        self.decoder = KEYPOINT_CODECS.build(decoder) if decoder else None

        gw, gh = self.grid_size
        self.register_buffer(
            'pos_embed',
            sine_position_table_2d(gh, gw, embed_dims),
            persistent=False)
        self.patch_embed = nn.Linear(in_channels * pw * ph, embed_dims)
        self.keypoint_tokens = nn.Parameter(
            torch.zeros(1, num_keypoints, embed_dims))
        nn.init.trunc_normal_(self.keypoint_tokens, std=.02)
        if layer_cfg is None:
            layer_cfg = dict(
                type='mmhuman_ext.PreNormTransformerLayer',
                embed_dims=embed_dims,
                num_heads=num_heads,
                feedforward_channels=embed_dims * mlp_ratio,
                qk_scale=qk_scale)
        self.transformer = MODELS.build(
            dict(
                type='mmhuman_ext.PPTTransformer',
                num_layers=depth,
                layer_cfg=layer_cfg,
                num_keypoints=num_keypoints,
                prune_layers=prune_layers,
                hti_cfg=dict(
                    type='mmhuman_ext.HumanTokenIdentification',
                    keep_ratio=keep_ratio)))

        hm_w, hm_h = self.heatmap_size
        if hidden_heatmap_dim is None:
            hidden_heatmap_dim = hm_w * hm_h // 8
        if embed_dims <= hidden_heatmap_dim * 0.5:
            self.mlp_head = nn.Sequential(
                nn.LayerNorm(embed_dims),
                nn.Linear(embed_dims, hidden_heatmap_dim),
                nn.LayerNorm(hidden_heatmap_dim),
                nn.Linear(hidden_heatmap_dim, hm_w * hm_h))
        else:
            self.mlp_head = nn.Sequential(
                nn.LayerNorm(embed_dims), nn.Linear(embed_dims, hm_w * hm_h))
        self.register_load_state_dict_pre_hook(_check_head_state_dict)

    @property
    def default_init_cfg(self):
        return [
            dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
        ]

    @property
    def prune_layers(self) -> Tuple[int, ...]:
        """0-based layers where HTI prunes (sorted)."""
        return self.transformer.prune_layers

    @property
    def keep_ratio(self) -> float:
        """HTI keep ratio r; settable (validated to lie in (0, 1])."""
        return self.transformer.keep_ratio

    @keep_ratio.setter
    def keep_ratio(self, value: float) -> None:
        self.transformer.keep_ratio = value

    def describe(self) -> str:
        """One line naming the tensor layout this head expects."""
        pw, ph = self.patch_size
        return (f'{self.num_keypoints} keypoint tokens of width '
                f'{self.embed_dims}, {self.depth} layers, patches of '
                f'{ph}x{pw} (h x w) x {self.in_channels} channels (patch dim '
                f'{self.in_channels * ph * pw}), heatmaps '
                f'{self.heatmap_size[1]}x{self.heatmap_size[0]} (h x w)')

    def tokenize(self, feats: Tuple[Tensor]) -> Tensor:
        """CNN features -> ``(B, J + N, D)`` tokens, keypoint tokens first
        (position table not yet added: every layer adds it)."""
        x = feats[-1]
        (fw, fh), (pw, ph), (gw, gh) = (self.feat_size, self.patch_size,
                                        self.grid_size)
        B, C, H, W = x.shape
        if (C, H, W) != (self.in_channels, fh, fw):
            raise ValueError(
                f'PPTHead expects features of shape (B, {self.in_channels}, '
                f'{fh}, {fw}) (feat_size (w, h) = ({fw}, {fh})): its position '
                f'table covers a {gh}x{gw} grid of {ph}x{pw} patches. Got '
                f'{tuple(x.shape)}. The input image size must match the '
                f'config: (w, h) = ({4 * fw}, {4 * fh}) for the stride-4 '
                f'TokenPose / PPT backbones (codec input_size and '
                f'TopdownAffine input_size).')
        x = embed_patches(x, self.patch_embed, (ph, pw))
        return torch.cat((self.keypoint_tokens.expand(B, -1, -1), x), dim=1)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """``feats[-1]`` ``(B, C, H, W)`` -> heatmaps ``(B, J, H_h, W_h)``."""
        x = self.transformer(self.tokenize(feats), self.pos_embed)
        heatmaps = self.mlp_head(x[:, :self.num_keypoints])
        hm_w, hm_h = self.heatmap_size
        return heatmaps.view(x.shape[0], self.num_keypoints, hm_h, hm_w)


def _check_head_state_dict(head: PPTHead, state_dict, prefix, *args):
    """Refuse a state dict whose head tensors have another layout.

    Only runs when the state dict holds tensors of this head; a checkpoint
    of the backbone alone passes.
    """
    theirs = {
        k[len(prefix):]: v
        for k, v in state_dict.items() if k.startswith(prefix)
    }
    if not theirs:
        return
    own = head.state_dict()
    problems = [
        f'{name} {tuple(theirs[name].shape)} (expected '
        f'{tuple(own[name].shape)})' for name in own
        if name in theirs and theirs[name].shape != own[name].shape
    ]
    depth = 1 + max(
        (int(m.group(1)) for m in map(_LAYER_KEY.match, theirs) if m),
        default=-1)
    if depth and depth != head.depth:
        problems.append(f'{depth} transformer layers (expected '
                        f'{head.depth})')
    if problems:
        raise ValueError(
            f'The checkpoint does not fit this PPTHead ({prefix or "head"}): '
            + '; '.join(problems) + f'. This head expects {head.describe()}. '
            'Use the config of the variant the checkpoint was trained with '
            '(tools/model_converters/ppt_official.py prints it for official '
            'checkpoints).')
