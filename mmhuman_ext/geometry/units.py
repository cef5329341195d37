"""Length units of 3D pose data, inferred from a bone length.

Datasets store 3D joints in metres (VideoPose3D files) or millimetres
(H36M-Toolbox pickles, MPI-INF-3DHP). A file in the other unit gives errors a
thousand times too large or too small without any failure, so loaders infer
the unit from the median length of a thigh (hip to knee, 0.3 to 0.6 m for
adults) over the frames and convert, or refuse data whose thigh fits no
unit.
"""
from typing import Tuple

import numpy as np

#: Thigh lengths accepted for each unit (a wide margin around adult sizes).
THIGH_RANGES = {'m': (0.15, 1.5), 'cm': (15., 140.), 'mm': (150., 1500.)}
_METRES_PER_UNIT = {'m': 1., 'cm': 0.01, 'mm': 0.001}


class LengthUnitError(ValueError):
    """3D joints whose bone lengths fit no length unit."""


def infer_length_unit(joints: np.ndarray, bone: Tuple[int, int],
                      where: str) -> Tuple[str, float]:
    """The unit of ``joints`` from the median length of ``bone``.

    Args:
        joints (np.ndarray): ``(..., J, 3)`` 3D joints.
        bone (tuple[int, int]): indices of the hip and knee joints.
        where (str): file and entry, for the error message.

    Returns:
        tuple: the unit (``'m'``, ``'cm'`` or ``'mm'``) and the median
        thigh length in it.

    Raises:
        LengthUnitError: the length fits no unit's range.
    """
    joints = np.asarray(joints, np.float64).reshape(-1, *np.shape(joints)[-2:])
    length = np.linalg.norm(joints[:, bone[0]] - joints[:, bone[1]], axis=-1)
    length = float(np.median(length[np.isfinite(length)])) if np.isfinite(
        length).any() else float('nan')
    for unit, (low, high) in THIGH_RANGES.items():
        if low <= length <= high:
            return unit, length
    raise LengthUnitError(
        f'{where}: the median thigh length (joints {bone[0]}-{bone[1]}) is '
        f'{length:g}, which fits no length unit (expected 0.15-1.5 in '
        'metres, 15-140 in cm or 150-1500 in mm); check the joint order and '
        'units')


def scale_to_unit(joints: np.ndarray, bone: Tuple[int, int], target: str,
                  where: str) -> Tuple[float, str]:
    """Factor that converts ``joints`` to ``target`` units, and the unit
    they were found in (see :func:`infer_length_unit`)."""
    found, _ = infer_length_unit(joints, bone, where)
    return _METRES_PER_UNIT[found] / _METRES_PER_UNIT[target], found
