"""mmhuman_ext: human-centric vision methods for the OpenMMLab 2.x stack.

Importing the package changes nothing outside it. Components register on
first use through :mod:`mmhuman_ext.registry` (``default_scope='mmhuman_ext'``,
or a ``mmhuman_ext.`` prefix from another scope) or all at once with
:func:`mmhuman_ext.utils.register_all_modules`, which also installs the
changes to mmengine and mmpose listed in :mod:`mmhuman_ext.utils.compat`
(safe checkpoint loading on torch >= 2.6, atomic result files, errors that
name the annotation); ``tools/*.py`` call it.
"""
from .version import __version__

__all__ = ['__version__']
