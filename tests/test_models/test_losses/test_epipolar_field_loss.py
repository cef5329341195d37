"""L_pos targets of ``EpipolarFieldLoss`` against the official training's
formula (HowieMa/TransFusion-Pose, written here from its description: points
on the rays, normal of the plane (P1 - C1) x (C2 - C1), field
``(1 - |cos|)^gamma`` floored at 1e-5 per direction, the two directions
added without transposing)."""
import numpy as np
import pytest
import torch

from mmhuman_ext.registry import MODELS


def official_field(points1, c1, points2, c2, power):
    """``(N1, N2)`` field of one sample, numpy float64."""
    normal = np.cross(points1 - c1, c2 - c1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    to2 = points2 - c2
    to2 /= np.linalg.norm(to2, axis=1, keepdims=True)
    field = (1 - np.abs(normal @ to2.T))**power
    return np.maximum(field, 1e-5)


def cameras_and_rays(num_tokens, seed=0):
    """Two cameras about 40 degrees apart looking at the origin, unit rays
    through a grid of image points (B=1)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0., -4., 1.], [2.6, -3., 1.2]])
    rays = []
    for c in centres:
        look = -c / np.linalg.norm(c)
        side = np.cross(look, [0., 0., 1.])
        side /= np.linalg.norm(side)
        up = np.cross(side, look)
        uv = rng.uniform(-0.4, 0.4, size=(num_tokens, 2))
        d = look + uv[:, :1] * side + uv[:, 1:] * up
        rays.append(d / np.linalg.norm(d, axis=1, keepdims=True))
    return centres, rays


def build(**kw):
    return MODELS.build(dict(type='EpipolarFieldLoss', **kw))


def test_official_target_is_the_default_and_matches_official_formula():
    centres, (r1, r2) = cameras_and_rays(30)
    # the official code feeds points on the rays; any depth gives the same
    p1 = centres[0] + 3.7 * r1
    p2 = centres[1] + 5.1 * r2
    ef12 = official_field(p1, centres[0], p2, centres[1], 10)
    ef21 = official_field(p2, centres[1], p1, centres[0], 10)
    official = 0.5 * (ef12 + ef21)
    args = [torch.from_numpy(a)[None] for a in (r1, r2, centres[0],
                                                centres[1])]
    ours = build().target(*args).numpy()[0]
    np.testing.assert_allclose(ours, official, rtol=1e-6, atol=1e-12)
    # the transposed target averages the same ray pair in both directions
    transposed = build(target='transposed').target(*args).numpy()[0]
    np.testing.assert_allclose(
        transposed, np.maximum(0.5 * (ef12 + ef21.T), 1e-5), rtol=1e-6,
        atol=1e-5)
    # ... and is a different target: relative mean difference of > 5 %
    assert np.abs(official - transposed).mean() > 0.05 * official.mean()
    one_way = build(target='one_way').target(*args).numpy()[0]
    np.testing.assert_allclose(one_way, ef12, rtol=1e-6, atol=1e-12)


def test_official_target_needs_equal_token_counts_and_known_name():
    centres, _ = cameras_and_rays(4)
    r1 = torch.nn.functional.normalize(torch.randn(1, 4, 3), dim=-1)
    r2 = torch.nn.functional.normalize(torch.randn(1, 6, 3), dim=-1)
    c1, c2 = torch.from_numpy(centres).float()[:, None]
    with pytest.raises(ValueError, match='same number of tokens'):
        build().target(r1, r2, c1, c2)
    assert build(target='transposed').target(r1, r2, c1, c2).shape == (1, 4,
                                                                       6)
    with pytest.raises(ValueError, match='target must be one of'):
        build(target='symmetric')
