from .multiview_data_preprocessor import MultiViewPoseDataPreprocessor  # noqa: F401

__all__ = ['MultiViewPoseDataPreprocessor']
