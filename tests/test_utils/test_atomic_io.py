"""Atomic file writers: the permissions open() gives, one error naming the
path and the reason, pictures encoded by extension."""
import cv2
import numpy as np
import pytest

from mmhuman_ext.utils.atomic_io import atomic_write_bytes, atomic_write_image


def test_atomic_write_gives_the_permissions_of_open(tmp_path):
    with open(tmp_path / 'plain', 'wb') as f:
        f.write(b'x')
    atomic_write_bytes(tmp_path / 'atomic', b'x')
    assert (tmp_path / 'atomic').stat().st_mode == \
        (tmp_path / 'plain').stat().st_mode


def test_failed_write_names_the_path_and_the_reason(tmp_path):
    (tmp_path / 'a_file').write_text('x')
    target = tmp_path / 'a_file' / 'metrics.json'
    with pytest.raises(OSError) as info:
        atomic_write_bytes(target, b'{}')
    assert f'cannot write {target}' in str(info.value)
    assert 'a_file is a file, not a folder' in str(info.value)


def test_atomic_write_image_round_trip_and_failed_encode(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (5, 7, 3), np.uint8)
    path = tmp_path / 'sub' / 'a.png'
    atomic_write_image(path, image[..., ::-1])  # a negative-stride view
    np.testing.assert_array_equal(cv2.imread(str(path)), image[..., ::-1])
    # a format OpenCV cannot encode: one error naming the file, the old
    # picture unchanged and no partial file left beside it
    bad = tmp_path / 'sub' / 'a.notanimage'
    bad.write_bytes(b'old')
    with pytest.raises(ValueError, match='a.notanimage'):
        atomic_write_image(bad, image)
    assert bad.read_bytes() == b'old'
    assert sorted(p.name for p in path.parent.iterdir()) == [
        'a.notanimage', 'a.png']
