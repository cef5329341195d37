from .compat import apply_compat
from .dist import setup_cpu_distributed, shutdown_distributed
from .setup_env import register_all_modules

__all__ = [
    'apply_compat', 'register_all_modules', 'setup_cpu_distributed',
    'shutdown_distributed'
]
