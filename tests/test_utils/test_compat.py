"""``import mmhuman_ext`` changes nothing upstream; register_all_modules()
installs the changes listed in mmhuman_ext.utils.compat."""
import subprocess
import sys

SCRIPT = '''
from mmengine.fileio.backends import LocalBackend
from mmengine.fileio.handlers.registry_utils import file_handlers
from mmengine.runner.checkpoint import CheckpointLoader
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
def state():
    return (LocalBackend.put, LocalBackend.put_text,
            CheckpointLoader._schemes[''],
            BaseCocoStyleDataset.parse_data_info,
            type(file_handlers['pkl']), type(file_handlers['pickle']))
before = state()
import mmhuman_ext, mmhuman_ext.utils, mmhuman_ext.datasets
assert state() == before, 'import mmhuman_ext changed mmengine / mmpose'
from mmhuman_ext.utils import register_all_modules
register_all_modules()
after = state()
assert all(a is not b for a, b in zip(after, before)), after
print('ok')
'''


def test_import_changes_nothing_and_registration_installs():
    out = subprocess.run([sys.executable, '-c', SCRIPT], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == 'ok'
