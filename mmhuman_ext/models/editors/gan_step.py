"""One discriminator update, shared by the GAN editors (CVTHead, ORFNT)."""
from typing import Callable, Dict

from torch import Tensor


def update_discriminator(model, optim_wrapper,
                         compute_losses: Callable[[], Dict[str, Tensor]]
                         ) -> Dict[str, Tensor]:
    """Compute ``model.discriminator``'s losses with ``compute_losses()``
    inside its optimizer context, take one step and return the log
    variables, the total logged as ``loss_d``."""
    d_optim = optim_wrapper['discriminator']
    with d_optim.optim_context(model.discriminator):
        losses = compute_losses()
    loss, log_vars = model.parse_losses(losses)
    d_optim.update_params(loss)
    log_vars['loss_d'] = log_vars.pop('loss')
    return log_vars
