import torch

from mmhuman_ext.models.editors.cvthead.point_rasterizer import \
    PointZBufferRasterizer


def test_nearest_wins_ties_lowest_index_background():
    r = PointZBufferRasterizer(8)
    # pixel (px=4, py=4) is u = v = 0; three points land there
    pts = torch.tensor([[[0., 0., 0.5], [0., 0., -0.3], [0., 0., -0.3],
                         [0.5, -0.5, 0.1]]])
    feats = torch.arange(4.).view(1, 4, 1).repeat(1, 1, 2)
    feat, depth = r(pts, feats)
    assert feat.shape == (1, 2, 8, 8) and depth.shape == (1, 1, 8, 8)
    assert feat[0, 0, 4, 4] == 1  # nearest, and the lower of the tie
    assert depth[0, 0, 4, 4] == -0.3
    assert feat[0, 0, 2, 6] == 3
    assert (depth > -2).sum() == 2
    assert depth[0, 0, 0, 0] == -2 and feat[0, :, 0, 0].eq(0).all()


def test_clamp_versus_cull():
    pts = torch.tensor([[[1.7, 0., 0.], [-3., -3., 0.]]])
    feats = torch.ones(1, 2, 1)
    _, depth = PointZBufferRasterizer(8)(pts, feats)
    assert depth[0, 0, 4, 7] == 0 and depth[0, 0, 0, 0] == 0
    _, depth = PointZBufferRasterizer(8, cull=True)(pts, feats)
    assert (depth == -2).all()


def test_deterministic_bounded_and_gradient_to_winners_only():
    g = torch.Generator().manual_seed(0)
    pts = torch.rand(3, 500, 3, generator=g) * 1.6 - 0.8
    pts[..., 2] = torch.randint(0, 3, (3, 500), generator=g).float()
    feats = torch.randn(3, 500, 4, generator=g, requires_grad=True)
    r = PointZBufferRasterizer(16)
    f1, d1 = r(pts, feats)
    f2, d2 = r(pts, feats)
    assert torch.equal(f1, f2) and torch.equal(d1, d2)
    assert ((d1 > -2).flatten(1).sum(1) <= 500).all()
    f1.sum().backward()
    win = r.winners(pts)
    expect = torch.zeros(3, 500)
    for b in range(3):
        ids = win[b][win[b] < 500]
        expect[b, ids] = 1
    assert torch.equal(feats.grad[..., 0], expect)
    assert torch.equal(feats.grad[..., 3], expect)


def test_frontal_nose_visible_back_hidden():
    """Sphere-like cloud: the most frontal point (max Z, i.e. min depth after
    the DECA flip) is visible, the one straight behind it is not."""
    g = torch.Generator().manual_seed(1)
    v = torch.randn(2000, 3, generator=g)
    v = v / v.norm(dim=1, keepdim=True)
    v[0] = torch.tensor([0., 0., 1.])
    v[1] = torch.tensor([0., 0., -1.])
    pts = torch.stack([v[:, 0] * 0.8, -v[:, 1] * 0.8, -v[:, 2]], -1)[None]
    win = PointZBufferRasterizer(32).winners(pts)
    assert (win == 0).any() and not (win == 1).any()
