"""Random image augmentation: layers that change their images while training, and only then.

    base.py         what they share: the seed, the training switch, the input checks
    sampling.py     resampling images through one affine map per image (the fill modes, the op)
    affine.py       the geometric layers' common part
    flip.py         RandomFlip
    translation.py  RandomTranslation
    rotation.py     RandomRotation
    zoom.py         RandomZoom
    contrast.py     RandomContrast
    brightness.py   RandomBrightness
    crop.py         RandomCrop
"""

from .brightness import RandomBrightness
from .contrast import RandomContrast
from .crop import RandomCrop
from .flip import RandomFlip
from .rotation import RandomRotation
from .translation import RandomTranslation
from .zoom import RandomZoom

__all__ = ["RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom", "RandomContrast", "RandomCrop", "RandomBrightness"]
