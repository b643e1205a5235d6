"""The zoo's building blocks: `snt.Module`s that compose into its models.

    from zoo.blocks import SeparableConv2D, ConvPool, EntryFlow, ClassifierHead

Each block lives in a module of its own; every block that reaches a
BatchNorm or dropout takes `is_training` explicitly. Blocks import nothing
from the rest of the zoo, so another project can build its own models from
them (see `zoo.models` for the contract a model adds).
"""

from zoo.blocks.conv_pool import ConvPool
from zoo.blocks.dropout import Dropout
from zoo.blocks.endpoints import Endpoints
from zoo.blocks.flows import DownsamplingBlock
from zoo.blocks.flows import DownsamplingBlockSpec
from zoo.blocks.flows import EntryFlow
from zoo.blocks.flows import ExitFlow
from zoo.blocks.flows import MiddleFlow
from zoo.blocks.flows import SeparableBlock
from zoo.blocks.flows import SeparableBlockSpec
from zoo.blocks.flows import SeparableFlow
from zoo.blocks.flows import batch_norm
from zoo.blocks.head import ClassifierHead
from zoo.blocks.separable_conv import SeparableConv2D

__all__ = ["ClassifierHead", "ConvPool", "Dropout", "DownsamplingBlock",
           "DownsamplingBlockSpec", "Endpoints", "EntryFlow", "ExitFlow",
           "MiddleFlow", "SeparableBlock", "SeparableBlockSpec",
           "SeparableConv2D", "SeparableFlow", "batch_norm"]
