from .ppt_head import PPTHead  # noqa: F401
