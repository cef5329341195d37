"""TransFusion's epipolar field loss L_pos (dissertation Eq. 2.5-2.7, spec
A2.4).

For two views with token rays ``r1`` ``(B, L, 3)``, ``r2`` ``(B, M, 3)`` and
centres ``c1``, ``c2`` ``(B, 3)``:

* field ``S'_12 = S_12^gamma`` with ``S_12`` from
  :func:`mmhuman_ext.geometry.epipolar_field`; ``symmetric=True`` (code)
  uses the target ``T = (S'_12 + S'_21^T) / 2``, otherwise ``S'_12``
  (paper); clamped to ``>= min_value``;
* prediction ``G = e1 e2^T`` ``(B, L, M)`` from the GPEs ``e1`` ``(B, L, d)``,
  ``e2`` ``(B, M, d)``; ``normalize_embeddings=True`` (code) divides each
  GPE by its L2 norm first (cosine similarity), otherwise the raw dot
  product of Eq. 2.7;
* ``L_pos = loss_weight * mean over (b, n, m) of (G - T)^2``.

The target is a function of the cameras only and carries no gradient.
Defaults follow the official code (gamma 10, cosine, symmetric, 1e-5).
"""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmhuman_ext.geometry import epipolar_field
from mmhuman_ext.registry import MODELS


@MODELS.register_module()
class EpipolarFieldLoss(nn.Module):
    """See the module docstring.

    Args:
        gamma (float): Field sharpness. Defaults to 10.
        normalize_embeddings (bool): Cosine similarity. Defaults to True.
        symmetric (bool): Average both directions. Defaults to True.
        min_value (float): Target floor. Defaults to 1e-5.
        loss_weight (float): Defaults to 1.
    """

    def __init__(self,
                 gamma: float = 10.,
                 normalize_embeddings: bool = True,
                 symmetric: bool = True,
                 min_value: float = 1e-5,
                 loss_weight: float = 1.):
        super().__init__()
        self.gamma = gamma
        self.normalize_embeddings = normalize_embeddings
        self.symmetric = symmetric
        self.min_value = min_value
        self.loss_weight = loss_weight

    def target(self, rays1: Tensor, rays2: Tensor, center1: Tensor,
               center2: Tensor) -> Tensor:
        """``(B, L, M)`` target field (no gradient)."""
        with torch.no_grad():
            t = epipolar_field(rays1, rays2, center1, center2)**self.gamma
            if self.symmetric:
                back = epipolar_field(rays2, rays1, center2,
                                      center1)**self.gamma
                t = 0.5 * (t + back.transpose(-1, -2))
            return t.clamp_min(self.min_value)

    def forward(self, emb1: Tensor, emb2: Tensor, rays1: Tensor,
                rays2: Tensor, center1: Tensor, center2: Tensor) -> Tensor:
        if self.normalize_embeddings:
            emb1, emb2 = F.normalize(emb1, dim=-1), F.normalize(emb2, dim=-1)
        pred = emb1 @ emb2.transpose(-1, -2)
        target = self.target(rays1, rays2, center1, center2).to(pred.dtype)
        return self.loss_weight * F.mse_loss(pred, target)
