"""TransFusion's epipolar field loss L_pos (dissertation Eq. 2.5-2.7, spec
A2.4).

For two views with token rays ``r1`` ``(B, L, 3)``, ``r2`` ``(B, M, 3)`` and
centres ``c1``, ``c2`` ``(B, 3)``:

* field ``S'_12 = S_12^gamma`` with ``S_12`` from
  :func:`mmhuman_ext.geometry.epipolar_field` (``(B, L, M)``, row = ray of
  view 1) and ``S'_21`` likewise ``(B, M, L)``; the target ``T`` is chosen
  by ``target``:

  - ``'official'``: ``T = (max(S'_12, f) + max(S'_21, f)) / 2`` with the
    floor ``f = min_value``, ``S'_21`` *not* transposed, as the official
    training computes it. Entry ``(n, m)`` then averages the score of
    (view-1 ray n, view-2 ray m) with that of (view-2 ray n, view-1 ray m),
    which needs ``L == M``. The published numbers were trained with it
    (see docs/transfusion.md);
  - ``'transposed'``: ``T = max((S'_12 + S'_21^T) / 2, f)``, the average
    of both directions for the same ray pair;
  - ``'one_way'``: ``T = max(S'_12, f)``, the paper's Eq. 2.6;
* prediction ``G = e1 e2^T`` ``(B, L, M)`` from the GPEs ``e1`` ``(B, L, d)``,
  ``e2`` ``(B, M, d)``; ``normalize_embeddings=True`` (code) divides each
  GPE by its L2 norm first (cosine similarity), otherwise the raw dot
  product of Eq. 2.7;
* ``L_pos = loss_weight * mean over (b, n, m) of (G - T)^2``.

The target is a function of the cameras only and carries no gradient.
Defaults follow the official code (gamma 10, cosine, ``'official'``
target, 1e-5).
"""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmhuman_ext.geometry import epipolar_field
from mmhuman_ext.registry import MODELS

TARGETS = ('official', 'transposed', 'one_way')


@MODELS.register_module()
class EpipolarFieldLoss(nn.Module):
    """See the module docstring.

    Args:
        gamma (float): Field sharpness. Defaults to 10.
        normalize_embeddings (bool): Cosine similarity. Defaults to True.
        target (str): ``'official'``, ``'transposed'`` or ``'one_way'``
            (module docstring). Defaults to ``'official'``.
        min_value (float): Target floor. Defaults to 1e-5.
        loss_weight (float): Defaults to 1.
    """

    def __init__(self,
                 gamma: float = 10.,
                 normalize_embeddings: bool = True,
                 target: str = 'official',
                 min_value: float = 1e-5,
                 loss_weight: float = 1.):
        super().__init__()
        self.gamma = gamma
        self.normalize_embeddings = normalize_embeddings
        if target not in TARGETS:
            raise ValueError(f'EpipolarFieldLoss: target must be one of '
                             f'{TARGETS}, got {target!r}')
        self.target_mode = target
        self.min_value = min_value
        self.loss_weight = loss_weight

    def target(self, rays1: Tensor, rays2: Tensor, center1: Tensor,
               center2: Tensor) -> Tensor:
        """``(B, L, M)`` target field (no gradient)."""
        with torch.no_grad():
            t = epipolar_field(rays1, rays2, center1, center2)**self.gamma
            if self.target_mode == 'one_way':
                return t.clamp_min(self.min_value)
            back = epipolar_field(rays2, rays1, center2, center1)**self.gamma
            if self.target_mode == 'transposed':
                return (0.5 * (t + back.transpose(-1, -2))).clamp_min(
                    self.min_value)
            if t.shape != back.shape:
                raise ValueError(
                    "EpipolarFieldLoss(target='official') adds the field of "
                    'view 2 -> 1 untransposed, so both views need the same '
                    f'number of tokens; got {t.shape[-2]} and '
                    f"{t.shape[-1]}. Use target='transposed' for unequal "
                    'views.')
            return 0.5 * (t.clamp_min(self.min_value) +
                          back.clamp_min(self.min_value))

    def forward(self, emb1: Tensor, emb2: Tensor, rays1: Tensor,
                rays2: Tensor, center1: Tensor, center2: Tensor) -> Tensor:
        if self.normalize_embeddings:
            emb1, emb2 = F.normalize(emb1, dim=-1), F.normalize(emb2, dim=-1)
        pred = emb1 @ emb2.transpose(-1, -2)
        target = self.target(rays1, rays2, center1, center2).to(pred.dtype)
        return self.loss_weight * F.mse_loss(pred, target)
