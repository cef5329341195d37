from .cross_view_transformer_neck import CrossViewTransformerNeck  # noqa: F401

__all__ = ['CrossViewTransformerNeck']
