"""The generated-data cache: a data_root that is a file and an unreadable
marker are refused before anything is generated."""
import pytest

from mmhuman_ext.datasets.synthetic.cache import MARKER, ensure_generated


def _never(folder):
    raise AssertionError('nothing may be generated')


def test_data_root_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / 'data.zip'
    target.write_bytes(b'not a folder')
    with pytest.raises(NotADirectoryError, match='data.zip is a file'):
        ensure_generated('demo', dict(n=1), _never, root=str(target))


def test_unreadable_marker_names_the_file(tmp_path):
    root = tmp_path / 'demo'
    root.mkdir()
    (root / MARKER).write_text('{"n": 1')  # cut short
    with pytest.raises(ValueError) as info:
        ensure_generated('demo', dict(n=1), _never, root=str(root))
    assert str(root / MARKER) in str(info.value)
    assert 'expected the JSON generator parameters' in str(info.value)

