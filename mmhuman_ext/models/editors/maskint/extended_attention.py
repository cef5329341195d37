"""Self-attention extended over the keyframes of one edit (MaskINT Eq. 5.4).

For keyframe ``j`` of ``F`` keyframes edited together,
``Attn_j = softmax(Q^j [K^1 .. K^F]^T / sqrt(d)) [V^1 .. V^F]``: every
keyframe's queries attend to the keys and values of all keyframes, so the
keyframes come out with one appearance. diffusers' ``CrossFrameAttnProcessor``
(Text2Video-Zero) attends to frame 0 only, hence this processor.
"""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor


class ExtendedSelfAttnProcessor:
    """A diffusers attention processor for the U-Net's self-attention
    (``attn1``) layers.

    The batch holds consecutive groups of ``num_frames`` keyframes (under
    classifier-free guidance ``[uncond F | cond F]``); keys and values are
    concatenated along the token axis within each group only, so the two
    guidance streams never attend to each other. ``num_frames = 1`` is
    plain self-attention.

    Args:
        num_frames (int): keyframes per group; the editor sets it before
            each run.
    """

    def __init__(self, num_frames: int = 1):
        self.num_frames = num_frames

    def __call__(self, attn, hidden_states: Tensor,
                 encoder_hidden_states: Optional[Tensor] = None,
                 attention_mask: Optional[Tensor] = None,
                 temb: Optional[Tensor] = None, **kwargs) -> Tensor:
        """``hidden_states (B, L, C)`` or ``(B, C, H, W)`` -> same shape;
        ``B`` must be a multiple of ``num_frames``."""
        if encoder_hidden_states is not None or attention_mask is not None:
            raise ValueError('ExtendedSelfAttnProcessor is for self-attention'
                             ' layers without a mask (the U-Net attn1)')
        batch = hidden_states.shape[0]
        frames = self.num_frames
        if batch % frames:
            raise ValueError(f'batch {batch} is not a multiple of '
                             f'num_frames={frames}')
        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            _, channel, height, width = hidden_states.shape
            hidden_states = hidden_states.flatten(2).transpose(1, 2)
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(
                1, 2)).transpose(1, 2)

        query = attn.to_q(hidden_states)
        key = attn.to_k(hidden_states)
        value = attn.to_v(hidden_states)
        tokens, inner = key.shape[1:]
        head_dim = inner // attn.heads

        def group_tokens(x: Tensor) -> Tensor:
            # (B, L, C) -> (B, F*L, C): each frame sees its group's tokens
            x = x.reshape(batch // frames, 1, frames * tokens, inner)
            return x.expand(-1, frames, -1, -1).reshape(
                batch, frames * tokens, inner)

        if frames > 1:
            key, value = group_tokens(key), group_tokens(value)

        def heads(x: Tensor) -> Tensor:
            return x.view(batch, -1, attn.heads, head_dim).transpose(1, 2)

        out = F.scaled_dot_product_attention(
            heads(query), heads(key), heads(value), scale=attn.scale)
        out = out.transpose(1, 2).reshape(batch, -1, inner).to(query.dtype)
        out = attn.to_out[1](attn.to_out[0](out))
        if input_ndim == 4:
            out = out.transpose(1, 2).reshape(batch, channel, height, width)
        if attn.residual_connection:
            out = out + residual
        return out / attn.rescale_output_factor
