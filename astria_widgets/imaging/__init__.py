"""Image checks, conversion and thumbnails for training images (Pillow only: no widgets, no HTTP).

- ``inspect_image`` / ``check_training_set``: what blocks or needs a warning (``ImageReport``)
- ``downscale``: a copy of at most 512 px for the inspector
- ``prepare_for_upload``: CMYK, 16-bit, transparent and animated images made plain 8-bit
- ``make_thumbnail``: fast, EXIF-upright, cached thumbnails
- ``preview_jpeg``: what a browser gets of a result shown small (``PREVIEW_SIDE`` px)
- ``contact_sheet``: a labelled grid of images as one PNG (a sweep's results)
"""

from astria_widgets.imaging.checks import (
    IMAGE_EXTENSIONS,
    MAX_FILE_BYTES,
    MAX_IMAGES,
    MAX_PIXELS,
    MIN_SIDE,
    RECOMMENDED_SIDE,
    ImageReport,
    apply_set_checks,
    blocked_report,
    caption_branch_problems,
    check_training_set,
    format_size,
    inspect_image,
    size_problem,
)
from astria_widgets.imaging.contact_sheet import contact_sheet
from astria_widgets.imaging.convert import downscale, flatten, prepare_for_upload
from astria_widgets.imaging.thumbnails import (
    MAX_PREVIEW_BYTES,
    PREVIEW_SIDE,
    clear_thumbnail_cache,
    make_thumbnail,
    preview_jpeg,
)

__all__ = [
    "IMAGE_EXTENSIONS",
    "MAX_FILE_BYTES",
    "MAX_IMAGES",
    "MAX_PIXELS",
    "MAX_PREVIEW_BYTES",
    "MIN_SIDE",
    "PREVIEW_SIDE",
    "RECOMMENDED_SIDE",
    "ImageReport",
    "apply_set_checks",
    "blocked_report",
    "caption_branch_problems",
    "check_training_set",
    "clear_thumbnail_cache",
    "contact_sheet",
    "downscale",
    "flatten",
    "format_size",
    "inspect_image",
    "make_thumbnail",
    "prepare_for_upload",
    "preview_jpeg",
    "size_problem",
]
