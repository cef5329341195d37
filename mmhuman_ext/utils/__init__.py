from .checkpoint import (UnsafeCheckpointError, atomic_write_bytes,
                         atomic_write_image, atomic_write_text,
                         load_checkpoint_file)
from .compat import apply_compat
from .dist import setup_cpu_distributed, shutdown_distributed
from .setup_env import register_all_modules

__all__ = [
    'UnsafeCheckpointError', 'apply_compat', 'atomic_write_bytes',
    'atomic_write_image', 'atomic_write_text', 'load_checkpoint_file',
    'register_all_modules',
    'setup_cpu_distributed', 'shutdown_distributed'
]
