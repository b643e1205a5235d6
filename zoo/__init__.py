"""snt-zoo: Sonnet 2 blocks and models, created by name.

>>> import zoo
>>> model = zoo.create_model("deep_mnist_cnn")
>>> logits = model(images, is_training=False)
>>> logits, endpoints = model.with_endpoints(images, is_training=False)
"""

from zoo._registry import create_model, list_models, model_arguments, register_model
from zoo.conv_pool import ConvPool
from zoo.dropout import Dropout
from zoo.flows import EntryFlow, ExitFlow, MiddleFlow
from zoo.head import ClassifierHead
from zoo.models import (ConvPoolNet, ConvPoolSpec, ImageClassifier,
                        SoftmaxRegression, Xception)
from zoo.separable_conv import SeparableConv2D

__version__ = "0.1.0"

__all__ = [
    "ClassifierHead", "ConvPool", "ConvPoolNet", "ConvPoolSpec", "Dropout",
    "EntryFlow", "ExitFlow", "ImageClassifier", "MiddleFlow",
    "SeparableConv2D", "SoftmaxRegression", "Xception", "create_model",
    "list_models", "model_arguments", "register_model",
]
