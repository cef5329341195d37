"""Shared test set-up: one thread per process (2-core machines), scope."""
import pytest




@pytest.fixture(autouse=True, scope='session')
def _register_modules():
    from mmhuman_ext.utils import register_all_modules
    register_all_modules(init_default_scope=True)
