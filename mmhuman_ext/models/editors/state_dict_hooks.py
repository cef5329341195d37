"""State-dict hooks shared by the GAN editors (CVTHead, ORFNT)."""
from torch import nn


def unwrapped_child_keys(module, state_dict, prefix, local_metadata):
    """Save ``generator.*`` / ``discriminator.*``, not
    ``generator.module.*``, when ``MMSeparateDistributedDataParallel`` has
    wrapped the children: mmengine's checkpoint loader unwraps wrapped
    children and expects the plain keys, so a checkpoint written by a
    distributed run loads into any later run (single or multi-process,
    ``load_from`` of the next stage, ``tools/test.py``)."""
    wrapped = [prefix + name + '.' for name, child in module._modules.items()
               if child is not None and hasattr(child, 'module')
               and isinstance(child.module, nn.Module)]
    if not wrapped:
        return
    for key in list(state_dict):
        value = state_dict.pop(key)
        for head in wrapped:
            if key.startswith(head + 'module.'):
                key = head + key[len(head) + len('module.'):]
                break
        state_dict[key] = value
