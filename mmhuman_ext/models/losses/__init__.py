from .epipolar_field_loss import EpipolarFieldLoss  # noqa: F401

__all__ = ['EpipolarFieldLoss']
