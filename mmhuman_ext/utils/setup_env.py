"""Registration of all modules and the default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import mmpose's and mmhuman_ext's modules so every name is registered,
    after installing the changes of :mod:`mmhuman_ext.utils.compat` and the
    annotation errors of :mod:`mmhuman_ext.datasets.annotation_errors`
    (imported here, the one place utils reaches into the packages above).

    Args:
        init_default_scope (bool): Also make ``mmhuman_ext`` the default
            scope, so that registries build from our registry nodes.
    """
    from .compat import apply_compat
    apply_compat()
    import mmpose.utils
    mmpose.utils.register_all_modules(init_default_scope=False)

    import mmhuman_ext.codecs  # noqa: F401
    import mmhuman_ext.datasets  # noqa: F401
    import mmhuman_ext.engine  # noqa: F401
    import mmhuman_ext.evaluation  # noqa: F401
    import mmhuman_ext.models  # noqa: F401
    from mmhuman_ext.datasets.annotation_errors import install
    install()

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created(
            'mmhuman_ext'):
        DefaultScope.get_instance('mmhuman_ext', scope_name='mmhuman_ext')
    elif current.scope_name != 'mmhuman_ext':
        warnings.warn(f'The default scope was "{current.scope_name}"; '
                      'register_all_modules sets it to "mmhuman_ext".')
        DefaultScope.get_instance(
            f'mmhuman_ext-{datetime.datetime.now()}',
            scope_name='mmhuman_ext')
