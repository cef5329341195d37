"""mmhuman_ext: human-centric vision methods for the OpenMMLab 2.x stack.

Importing the package is cheap: it installs the compatibility fixes of
:mod:`mmhuman_ext.utils.compat` (safe checkpoint loading on torch >= 2.6,
atomic result files) and nothing else. Components register on first use
through :mod:`mmhuman_ext.registry` (``default_scope='mmhuman_ext'``, or a
``mmhuman_ext.`` prefix from another scope) or all at once with
:func:`mmhuman_ext.utils.register_all_modules`.
"""
from .utils.compat import apply_compat
from .version import __version__

apply_compat()

__all__ = ['__version__']
