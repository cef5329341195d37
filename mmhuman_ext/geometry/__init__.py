from .camera import (CameraError, camera_from_toolbox,  # noqa: F401
                     pixel_rays, project_points, projection_matrix,
                     stack_cameras, token_centers, undistort_pixels)
from .epipolar import (epipolar_field, epipolar_lines,  # noqa: F401
                       fundamental_matrix, point_line_distance)
from .triangulation import (confidence_view_mask,  # noqa: F401
                            triangulate_points, triangulate_ransac,
                            triangulate_with_confidence)
from .ortho_crop import (crop_to_image, estimate_crop_tform,  # noqa: F401
                         fit_ortho_cam, ortho_project, project_to_image,
                         warp_crop)

__all__ = [
    'CameraError', 'camera_from_toolbox', 'confidence_view_mask',
    'crop_to_image', 'epipolar_field', 'epipolar_lines',
    'estimate_crop_tform', 'fit_ortho_cam', 'fundamental_matrix',
    'ortho_project', 'pixel_rays', 'point_line_distance', 'project_points',
    'project_to_image', 'projection_matrix', 'stack_cameras',
    'token_centers', 'triangulate_points', 'triangulate_ransac',
    'triangulate_with_confidence', 'undistort_pixels', 'warp_crop'
]
