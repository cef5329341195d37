"""Checks for pretrained weights that load from local paths.

Nothing downloads at run time: a ``from_pretrained`` argument must be a local
folder (or file). When it is absent, the error names the path, the role it
plays and what belongs there, instead of letting diffusers / transformers
try to reach the Hugging Face hub.
"""
import os.path as osp
from typing import Optional, Sequence


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
