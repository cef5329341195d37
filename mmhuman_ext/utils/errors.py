"""Clear messages for the errors users meet most when starting a run."""
import difflib
import re
from typing import Optional

from mmengine.registry import Registry

_UNKNOWN_TYPE = re.compile(r'([\w.]+) is not in the (\S+)::(.+?) registry')


def _registry_nodes(root: Registry):
    yield root
    for child in root.children.values():
        yield from _registry_nodes(child)


def _find_registry(scope: str, name: str) -> Optional[Registry]:
    import mmhuman_ext.registry as ours
    for reg in vars(ours).values():
        if not isinstance(reg, Registry):
            continue
        root = reg
        while root.parent is not None:
            root = root.parent
        for node in _registry_nodes(root):
            if node.scope == scope and node.name == name:
                return node
    return None


def explain_unknown_type(exc: BaseException) -> Optional[str]:
    """Rewrite mmengine's "X is not in the s::name registry" KeyError.

    Returns:
        str | None: the message naming every scope searched (the registry
        and its parents), close matches, and how to reach other packages;
        None when ``exc`` is not such an error.
    """
    match = _UNKNOWN_TYPE.search(str(exc))
    if match is None:
        return None
    type_name, scope, name = match.groups()
    registry = _find_registry(scope, name)
    if registry is None:
        return None
    registry.import_from_location()
    chain, known, node = [], set(), registry
    while node is not None:
        chain.append(node.scope)
        known.update(node.module_dict)
        node = node.parent
    close = difflib.get_close_matches(type_name.split('.')[-1], known, n=3)
    lines = [
        f'Unknown {name} type "{type_name}". Scopes searched, in order: '
        + ' -> '.join(chain) + '.'
    ]
    if close:
        lines.append(f'Did you mean: {", ".join(close)}?')
    lines.append('Components of other packages need their scope as a prefix '
                 '(e.g. "mmdet.ResNet", "mmagic.GANLoss"); components of '
                 'mmhuman_ext used from another scope need "mmhuman_ext.".')
    return '\n'.join(lines)
