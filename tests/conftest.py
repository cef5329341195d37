"""Shared test set-up: every module registered, default scope mmhuman_ext."""
import pytest


@pytest.fixture(autouse=True, scope='session')
def _register_modules():
    from mmhuman_ext.utils import register_all_modules
    register_all_modules(init_default_scope=True)
