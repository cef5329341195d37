"""Length units inferred from the thigh length."""
import numpy as np
import pytest

from mmhuman_ext.geometry.units import (LengthUnitError, infer_length_unit,
                                        scale_to_unit)


def _poses(thigh):
    rng = np.random.default_rng(0)
    joints = rng.normal(0, 1, (10, 17, 3))
    joints[:, 2] = joints[:, 1] + [0, 0, thigh]
    return joints


@pytest.mark.parametrize('thigh, unit', [(0.45, 'm'), (45., 'cm'),
                                         (450., 'mm')])
def test_unit_from_thigh(thigh, unit):
    found, length = infer_length_unit(_poses(thigh), (1, 2), 'f')
    assert found == unit and length == pytest.approx(thigh)


def test_scale_and_refusal():
    assert scale_to_unit(_poses(450.), (1, 2), 'm', 'f') == (0.001, 'mm')
    assert scale_to_unit(_poses(0.45), (1, 2), 'mm', 'f') == (1000., 'm')
    with pytest.raises(LengthUnitError, match=r'poses.npz.*fits no'):
        infer_length_unit(_poses(5.), (1, 2), 'poses.npz')
