"""Checks for pretrained weights that load from local paths.

Nothing downloads at run time: a ``from_pretrained`` argument must be a local
folder (or file). When it is absent, the error names the path, the role it
plays and what belongs there, instead of letting diffusers / transformers
try to reach the Hugging Face hub.
"""
import os.path as osp
from typing import Dict, Optional, Sequence


class MissingPretrainedError(FileNotFoundError):
    """A pretrained folder or file named in a config is not on disk."""


def require_pretrained_dir(path: str, role: str, contents: str,
                           subfolder: Optional[str] = None,
                           required_files: Sequence[str] = ()) -> str:
    """Return ``path[/subfolder]`` if it is a folder holding
    ``required_files``; raise :class:`MissingPretrainedError` otherwise.

    Args:
        path (str): local folder from the config.
        role (str): what the weights are for (e.g. "Stable Diffusion U-Net").
        contents (str): what belongs there and where to get it.
        subfolder (str, optional): sub-folder of ``path`` to check.
        required_files (Sequence[str]): one of these names must exist in the
            folder (e.g. ``config.json``); empty: only the folder is checked.
    """
    folder = osp.join(path, subfolder) if subfolder else path
    if not osp.isdir(folder):
        raise MissingPretrainedError(
            f'{role}: folder "{folder}" does not exist. It should hold '
            f'{contents}. Nothing is downloaded at run time: place the files '
            'there or set the path in the config.')
    if required_files and not any(
            osp.isfile(osp.join(folder, f)) for f in required_files):
        raise MissingPretrainedError(
            f'{role}: folder "{folder}" has none of {list(required_files)}. '
            f'It should hold {contents}.')
    return folder


def require_pretrained_file(path: str, role: str, contents: str) -> str:
    """Return ``path`` if it is a file; raise
    :class:`MissingPretrainedError` naming the role and the source
    otherwise."""
    if not osp.isfile(path):
        raise MissingPretrainedError(
            f'{role}: file "{path}" does not exist. It should be {contents}. '
            'Nothing is downloaded at run time: place the file there or set '
            'the path in the config.')
    return path


def load_state_dict_file(path: str, what: str, where: str) -> Dict:
    """A state dict from a local weights file, read without running code:
    ``.pkl`` of numpy arrays (e.g. the VGGFace2-pytorch releases) through
    :mod:`mmhuman_ext.utils.safe_pickle`, anything else with
    ``torch.load(weights_only=True)``. ``state_dict`` / ``model`` / ``params``
    wrappers and DataParallel ``module.`` prefixes are removed.

    Args:
        path (str): the file.
        what (str): the network, for messages (e.g. "VGG19").
        where (str): where to get the file, for messages.

    Raises:
        FileNotFoundError: naming the file, the network and where to get it.
    """
    import torch

    from .checkpoint import load_checkpoint_file
    from .safe_pickle import safe_load_pickle, to_numpy
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} weights {path} not found; {where}')
    if path.endswith('.pkl'):
        state = {k: torch.as_tensor(to_numpy(v))
                 for k, v in safe_load_pickle(path).items()}
    else:
        state = load_checkpoint_file(path, map_location='cpu')
    for key in ('state_dict', 'model', 'params'):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise ValueError(f'{what} weights {path}: expected a state dict, got '
                         f'{type(state).__name__}')
    return {k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()}
