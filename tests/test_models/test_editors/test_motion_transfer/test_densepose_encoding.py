"""DensePose part encoding D(P), checks and nearest resize."""
import pytest
import torch

from mmhuman_ext.models.editors.motion_transfer.densepose_encoding import (
    check_iuv, decode_iuv_parts, encode_iuv_parts, resize_iuv)


def _iuv(b=2, size=10, seed=0):
    gen = torch.Generator().manual_seed(seed)
    parts = torch.randint(0, 25, (b, 1, size, size), generator=gen).float()
    uv = torch.rand(b, 2, size, size, generator=gen)
    return torch.cat([parts, uv * (parts > 0)], 1)


def test_encoding_layout_and_round_trip():
    iuv = _iuv()
    enc = encode_iuv_parts(iuv)
    assert enc.shape == (2, 72, 10, 10)
    parts = iuv[:, 0].long()
    k = 7
    sel = parts == k
    assert torch.equal(enc[:, k - 1] == 1, sel)
    torch.testing.assert_close(enc[:, 24 + k - 1][sel], iuv[:, 1][sel])
    torch.testing.assert_close(enc[:, 48 + k - 1][sel], iuv[:, 2][sel])
    assert enc[:, :24].sum(1).max() == 1
    assert torch.all(enc[:, :, parts[0] == 0][0] == 0)
    torch.testing.assert_close(decode_iuv_parts(enc), iuv)


def test_nearest_resize_never_creates_new_labels():
    iuv = _iuv(size=37)
    for size in (16, 64, 128):
        out = resize_iuv(iuv, size)
        assert out.shape[-2:] == (size, size)
        assert set(out[:, 0].unique().tolist()) <= set(
            iuv[:, 0].unique().tolist())
        assert torch.equal(out[:, 0], out[:, 0].round())


def test_check_iuv_names_the_problem():
    check_iuv(_iuv(), name='ok')
    bad = _iuv()
    bad[0, 0, 0, 0] = 25
    with pytest.raises(ValueError, match=r'driving_iuv: part ids .*\[0, 24\]'):
        check_iuv(bad, name='driving_iuv')
    with pytest.raises(ValueError, match=r'expected an IUV map'):
        check_iuv(torch.zeros(1, 2, 4, 4), name='x')
    bad = _iuv()
    bad[0, 1, 0, 0] = 1.5
    with pytest.raises(ValueError, match=r'U, V .* \[0, 1\]'):
        check_iuv(bad, name='x')
