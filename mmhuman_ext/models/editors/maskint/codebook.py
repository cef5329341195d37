"""Which VQ codebook made a set of tokens.

Token ids mean something only with the codebook that produced them: a token
cache written with one codebook and trained on with another (or an
interpolator decoded by another tokenizer) gives wrong frames without any
error when the sizes agree. The identity of a codebook is its size and a
hash of its table; the token cache records it (every token file and its
annotation file), the MaskINT checkpoint holds the tokenizer's table, and
every reader compares with :func:`check_codebook_identity`.
"""
import hashlib
from typing import Mapping, Optional

import numpy as np

#: state-dict key endings of a tokenizer's codebook table
#: (:class:`PatchVQTokenizer`, :class:`VQGANTokenizer`)
CODEBOOK_KEYS = ('tokenizer.codebook',
                 'tokenizer.vq.quantize.embedding.weight')


class CodebookMismatchError(ValueError):
    """Tokens or weights made with another codebook than the tokenizer's."""


def codebook_identity(table) -> str:
    """``'<M> codes, sha256 <16 hex digits>'`` of a codebook table ``(M,
    ...)`` (tensor or array); equal only for the same table."""
    if hasattr(table, 'detach'):
        table = table.detach().float().cpu().numpy()
    data = np.ascontiguousarray(table, np.float32)
    digest = hashlib.sha256(data.tobytes()).hexdigest()[:16]
    return f'{len(data)} codes, sha256 {digest}'


def codebook_size_of(identity: str) -> int:
    """M of an identity written by :func:`codebook_identity`."""
    return int(identity.split(' ', 1)[0])


def checkpoint_codebook_identity(state_dict: Mapping) -> Optional[str]:
    """Identity of the tokenizer codebook stored in a MaskINT state dict;
    None when it holds no tokenizer."""
    for key, value in state_dict.items():
        if key.endswith(CODEBOOK_KEYS):
            return codebook_identity(value)
    return None


def check_codebook_identity(found: Optional[str], expected: Optional[str],
                            what: str, against: str, fix: str) -> None:
    """Raise :class:`CodebookMismatchError` when ``found``, the codebook
    that made ``what``, is not ``expected``, the one of ``against`` (None:
    not recorded); ``fix`` ends the message."""
    if found == expected:
        return

    def name(identity):
        return f'the codebook {identity}' if identity else \
            'a codebook that was not recorded (written before identities were)'

    raise CodebookMismatchError(
        f'{what} was made with {name(found)}, but {against} has '
        f'{name(expected)}; {fix}')
