"""The zoo's models; importing this package registers them all."""

from zoo.models.base import ImageClassifier, NORMALIZATIONS
from zoo.models.convnet import ConvPoolNet, ConvPoolSpec
from zoo.models.softmax_regression import SoftmaxRegression
from zoo.models.xception import Xception

__all__ = [
    "ConvPoolNet", "ConvPoolSpec", "ImageClassifier", "NORMALIZATIONS",
    "SoftmaxRegression", "Xception",
]
