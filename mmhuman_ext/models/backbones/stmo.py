"""P-STMO backbone: SEM + TEM encoder and the MOFA strided transformer.

P-STMO (Shan et al., ECCV 2022) lifts a window of N 2D poses to the 3D pose
of its centre frame. mmpose has no backbone with this structure (its TCN and
MotionBERT backbones differ), so it is written here from the paper and the
official code (``docs/pstmo.md``). Parameter names are stable: the converter
``tools/model_converters/pstmo_official.py`` maps the official checkpoints
onto them.

* :class:`STMOEncoder` — SEM (per-frame residual MLP) + learned temporal
  position table + TEM (pre-norm transformer over frames). Shared verbatim
  by Stage I (:class:`~mmhuman_ext.models.pose_estimators.MaskedPoseModeling`)
  and Stage II, so the pre-trained weights transfer key by key.
* :class:`StridedTransformerEncoder` — MOFA, shrinking N tokens by 3 per
  layer down to one.
* :class:`STMO` — both, as the backbone of mmpose's ``PoseLifter``.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from ..layers.pstmo_transformer import (PoseMLPEmbedding,
                                        StridedTransformerLayer,
                                        TemporalTransformerLayer, build_norm,
                                        mofa_strides, take_seq_len)


@MODELS.register_module()
class STMOEncoder(BaseModule):
    """SEM + TEM of P-STMO.

    SEM maps each frame's ``J x C_in`` coordinates to ``embed_dims``; the
    position table ``pos_embed`` (init N(0, 1)) is added to all N tokens;
    then ``num_layers`` pre-norm transformer layers run over frames. With
    ``keep_idx`` (Stage I) only the selected tokens enter the transformer,
    after the position table has been added, as in the official code
    (SEM still sees all frames, which matters for its BatchNorm statistics).

    ``final_norm`` exists in the official module but is never applied; it is
    kept (``apply_final_norm=False`` by default) so that parameter counts and
    checkpoints match.

    Args:
        num_joints (int): J. Defaults to 17.
        in_channels (int): C_in per joint. Defaults to 2.
        embed_dims (int): d. Defaults to 256.
        sem_hidden_dims (int): SEM width (2d in the paper). Defaults to 512.
        sem_num_blocks (int): SEM residual sub-blocks L. Defaults to 1.
        num_layers (int): TEM depth L1 (3 for P-STMO-S, 4 for P-STMO).
        num_heads (int): Attention heads. Defaults to 8.
        ffn_dims (int): FFN width. Defaults to 512.
        seq_len (int): N, the length of the position table. Defaults to 243.
        dropout (float): Dropout everywhere. Defaults to 0.1.
        norm (str): ``'pstmo_ln'`` (official LayerNorm formula) or ``'ln'``.
        apply_final_norm (bool): Apply ``final_norm`` to the output.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained',
            checkpoint=STAGE1_CKPT, prefix='encoder.')`` to start Stage II
            from Stage I.

    Shape:
        ``x (B, N, J, C_in)``, ``keep_idx (B, V)`` long or None
        -> ``(B, N, d)`` or ``(B, V, d)``.
    """

    def __init__(self,
                 num_joints: int = 17,
                 in_channels: int = 2,
                 embed_dims: int = 256,
                 sem_hidden_dims: int = 512,
                 sem_num_blocks: int = 1,
                 num_layers: int = 3,
                 num_heads: int = 8,
                 ffn_dims: int = 512,
                 seq_len: int = 243,
                 dropout: float = 0.1,
                 norm: str = 'pstmo_ln',
                 apply_final_norm: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.seq_len = seq_len
        self.embed_dims = embed_dims
        self.apply_final_norm = apply_final_norm
        self.sem = PoseMLPEmbedding(num_joints * in_channels, sem_hidden_dims,
                                    embed_dims, sem_num_blocks, dropout)
        self.pos_embed = nn.Parameter(torch.randn(1, seq_len, embed_dims))
        self.layers = nn.ModuleList(
            TemporalTransformerLayer(embed_dims, num_heads, ffn_dims, dropout,
                                     norm) for _ in range(num_layers))
        self.final_norm = build_norm(norm, embed_dims)

    def forward(self, x: Tensor, keep_idx: Optional[Tensor] = None) -> Tensor:
        if x.shape[1] != self.seq_len:
            raise ValueError(
                f'STMOEncoder was built for seq_len='
                f'{self.seq_len} frames, got input {tuple(x.shape)}')
        x = self.sem(x) + self.pos_embed
        if keep_idx is not None:
            x = torch.gather(
                x, 1,
                keep_idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        for layer in self.layers:
            x = layer(x)
        return self.final_norm(x) if self.apply_final_norm else x


@MODELS.register_module()
class StridedTransformerEncoder(BaseModule):
    """MOFA: strided transformer layers aggregating N tokens into one.

    Before layer ``i < num_pos_embeds`` the slice ``pos_embeds[i, :L_i]`` of
    a learned table (init N(0, 1)) is added; later layers get none. Token
    lengths go ``L_{i+1} = ceil(L_i / strides[i])`` (243 -> 81 -> 27 -> 9 ->
    3 -> 1 for strides (3,) * 5) and must end at one token, the input of
    the centre-frame head; this is checked here. ``final_norm`` is unused by
    default, as in the official module.

    Inside :class:`STMO` the frame count N comes from the encoder; leave
    ``seq_len`` and ``strides`` unset in configs.

    Args:
        embed_dims (int): d. Defaults to 256.
        ffn_dims (int): FFN width. Defaults to 512.
        num_heads (int): Attention heads. Defaults to 8.
        strides (Sequence[int], optional): One stride per layer. None (the
            official choice) takes stride 3 in as many layers as bring N
            to one token: (3, 3, 3) for N=27, (3,) * 4 for N=81, (3,) * 5
            for N=243.
        seq_len (int): N (length of the position tables).
        num_pos_embeds (int): Number of position tables. Defaults to 3.
        dropout (float): Dropout everywhere. Defaults to 0.1.
        norm (str): ``'pstmo_ln'`` or ``'ln'``.
        apply_final_norm (bool): Apply ``final_norm`` to the output.

    Shape: ``(B, N, d) -> (B, 1, d)``.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 ffn_dims: int = 512,
                 num_heads: int = 8,
                 strides: Optional[Sequence[int]] = None,
                 seq_len: Optional[int] = None,
                 num_pos_embeds: int = 3,
                 dropout: float = 0.1,
                 norm: str = 'pstmo_ln',
                 apply_final_norm: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if seq_len is None:
            raise ValueError(
                'StridedTransformerEncoder needs seq_len (N frames); inside '
                'STMO it is taken from the encoder')
        strides = mofa_strides(seq_len, strides)
        self.seq_len = seq_len
        self.strides = strides
        self.apply_final_norm = apply_final_norm
        self.pos_embeds = nn.Parameter(
            torch.randn(num_pos_embeds, seq_len, embed_dims))
        self.layers = nn.ModuleList(
            StridedTransformerLayer(embed_dims, num_heads, ffn_dims, s,
                                    dropout, norm) for s in strides)
        self.final_norm = build_norm(norm, embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            if i < self.pos_embeds.shape[0]:
                x = x + self.pos_embeds[i, :x.shape[1]]
            x = layer(x)
        return self.final_norm(x) if self.apply_final_norm else x


@MODELS.register_module()
class STMO(BaseModule):
    """Spatial Temporal Many-to-One backbone for mmpose's ``PoseLifter``.

    Args:
        encoder (dict): :class:`STMOEncoder` config (SEM + TEM); its
            ``seq_len`` is the frame count N of the whole model.
        mofa (dict): :class:`StridedTransformerEncoder` config; ``seq_len``
            comes from the encoder (an explicit value must agree).
        return_centre_input (bool): Also return the centre frame of the
            input, for heads that need it (``STMORefineHead``).
        init_cfg (dict, optional): Initialisation config.

    Shape:
        ``x (B, N, J, 2)`` -> ``(tem (B, N, d), mofa (B, 1, d))``; ``tem``
        feeds the all-frame head, ``mofa`` the centre-frame head. With
        ``return_centre_input`` a third item, a copy of
        ``x[:, N // 2 : N // 2 + 1]`` (B, 1, J, 2): a copy because mmpose's
        ``PoseLifter`` flip test mirrors ``inputs`` in place after this
        forward, and the refinement must see the unflipped frame.
    """

    def __init__(self,
                 encoder: dict,
                 mofa: dict,
                 return_centre_input: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)
        self.mofa = MODELS.build(
            take_seq_len(mofa, self.encoder.seq_len, 'STMO mofa'))
        self.return_centre_input = return_centre_input

    @property
    def causal(self) -> bool:
        """The target is the centre frame (read by ``PoseLifter``)."""
        return False

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        tem = self.encoder(x)
        if self.return_centre_input:
            centre = x.shape[1] // 2
            return tem, self.mofa(tem), x[:, centre:centre + 1].clone()
        return tem, self.mofa(tem)
