"""Importing this module registers every component and installs
:mod:`~mmhuman_ext.utils.compat` (``import mmhuman_ext`` alone changes
nothing).

Our configs list it in ``custom_imports`` (``configs/_base_/
default_runtime.py``), so tools that read a config without our code, such as
mmpose's ``MMPoseInferencer`` and ``demo/inferencer_demo.py``, get our
components and the safe checkpoint loader before they load a checkpoint.
"""
from .setup_env import register_all_modules

register_all_modules(init_default_scope=False)
