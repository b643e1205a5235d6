"""The zoo's models, built from `zoo.blocks`; importing this registers them.

    from zoo import models
    models.list_models()
    model = models.create_model("xception", num_classes=17, image_size=149)
    model.data_config()    # image_size, channels, normalization, num_classes
    models.create_model("xception", pretrained="imagenet")  # published weights
    models.pretrained.list_pretrained()                       # their tags

`ImageClassifier` (in `base`) is the contract every model keeps; the
registry (`_registry`) imports no model.
"""

from zoo.models import pretrained
from zoo.models._registry import create_model
from zoo.models._registry import list_models
from zoo.models._registry import model_arguments
from zoo.models._registry import register_model
from zoo.models.base import ImageClassifier
from zoo.models.base import NORMALIZATIONS
from zoo.models.base import as_image_size
from zoo.models.aligned_xception import AlignedXception
from zoo.models.convnet import ConvPoolNet
from zoo.models.convnet import ConvPoolSpec
from zoo.models.mini_xception import MiniXception
from zoo.models.mobilenet_v1 import MobileNetV1
from zoo.models.softmax_regression import SoftmaxRegression
from zoo.models.xception import Xception

__all__ = [
    "AlignedXception", "ConvPoolNet", "ConvPoolSpec", "ImageClassifier",
    "MiniXception", "MobileNetV1", "NORMALIZATIONS", "SoftmaxRegression",
    "Xception", "as_image_size", "create_model", "list_models",
    "model_arguments", "pretrained", "register_model",
]
