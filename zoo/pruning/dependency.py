"""Channel surgery through Torch-Pruning's dependency graph — shared by every structured method.

Removing output channel ``i`` of a convolution is only half the job: the BatchNorm after it, the
next layer's input channel ``i``, every layer added to it through a residual connection, the
depthwise convolution that carries it and the squeeze-excite gate that multiplies it must lose the
same channel. Torch-Pruning's :class:`~torch_pruning.DependencyGraph` traces the model once and
returns these coupled layers as a *group*; this module turns groups into the pieces the methods
need:

* :func:`build_graph` — trace a model (in eval mode, so tracing does not touch BN statistics);
* :func:`output_layers` — the layers whose channels reach the model's output (never pruned, so the
  pruned model returns the same shape);
* :func:`members` — the parameterised layers of a group and which root channel each of their
  channels belongs to (what importance scores are computed from);
* :func:`is_coupled` — whether a group ties the outputs of several layers (residual additions);
* :class:`Cut` — the channels chosen in one group, named by the group's root layer; a list of
  cuts is a pruning *plan*, independent of what is then done with it:
* :func:`remove_channels` — the surgery: physically remove the planned channels;
* :func:`mask_channels` — the soft alternative: zero them in place (weights, biases and the BN
  affine parameters), which gives exactly the output of the physically pruned model.

Nothing here knows an architecture: residual additions, concatenations, depthwise and grouped
convolutions, squeeze-excite products and Linear heads all come from the traced graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch_pruning as tp
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

__all__ = [
    "ROOT_TYPES",
    "Cut",
    "Member",
    "build_graph",
    "example_args",
    "is_coupled",
    "mask_channels",
    "members",
    "output_layers",
    "remove_channels",
]

ROOT_TYPES = (_ConvNd, nn.Linear)  # a group is named after the conv/linear whose outputs it prunes
Role = Literal["producer", "norm", "consumer"]


def example_args(example_inputs: Any) -> Any:
    """Torch-Pruning takes one tensor, or a tuple/list that it unpacks as positional arguments."""
    return list(example_inputs) if isinstance(example_inputs, tuple) else example_inputs


def build_graph(model: nn.Module, example_inputs: Any) -> tp.DependencyGraph:
    """Trace ``model`` on ``example_inputs`` (in eval mode, then restored) into a dependency
    graph."""
    was_training = model.training
    model.eval()  # a train-mode trace would update BatchNorm running statistics
    try:
        graph = tp.DependencyGraph()
        return graph.build_dependency(model, example_inputs=example_args(example_inputs))
    finally:
        model.train(was_training)


def output_layers(graph: tp.DependencyGraph) -> list[nn.Module]:
    """Conv/Linear layers whose output channels reach a model output (e.g. the classifier).

    A group whose out-channel dependencies end in a graph node without successors carries the
    network's output dimension; pruning it would change what the model returns.
    """
    found = []
    for group in graph.get_all_groups(root_module_types=ROOT_TYPES):
        for dep, _ in group:
            node = graph.module2node.get(dep.target.module)
            is_out = graph.is_out_channel_pruning_fn(dep.handler)
            if node is not None and not node.outputs and is_out:
                found.append(group[0].dep.target.module)
                break
    return found


@dataclass(frozen=True)
class Member:
    """One parameterised layer of a group: which of its channels map to which root channels."""

    module: nn.Module
    role: Role  # producer: its output channels; norm: a BatchNorm; consumer: its input channels
    idxs: torch.Tensor  # channel indices in ``module``
    root_idxs: torch.Tensor  # the group-root channel of each entry of ``idxs``


def members(group: Any, roles: Sequence[Role] = ("producer", "norm", "consumer")) -> list[Member]:
    """The conv/linear/BatchNorm layers of a Torch-Pruning group, with their channel mapping."""
    graph = group._DG
    found = []
    for item in group:
        module = item.dep.target.module
        pairs = [(i, r) for i, r in zip(item.idxs, item.root_idxs, strict=True) if r is not None]
        if not isinstance(module, nn.Module) or not pairs:
            continue
        if isinstance(module, ROOT_TYPES):
            is_out = graph.is_out_channel_pruning_fn(item.dep.handler)
            role: Role = "producer" if is_out else "consumer"
        elif isinstance(module, _BatchNorm):
            role = "norm"
        else:  # activations, pooling, reshapes: nothing to score or zero
            continue
        if role in roles:
            idxs, root_idxs = (torch.tensor(c, dtype=torch.long) for c in zip(*pairs, strict=True))
            found.append(Member(module, role, idxs, root_idxs))
    return found


def is_coupled(group: Any) -> bool:
    """Whether the group's channels are the outputs of more than one layer, which an elementwise
    operation ties together: the convolutions a residual addition adds (or a squeeze-excite
    product multiplies). A depthwise convolution does not count, it only carries its input
    channels (as a BatchNorm does)."""
    producers = [
        m.module
        for m in members(group, roles=("producer",))
        if not (isinstance(m.module, _ConvNd) and m.module.groups == m.module.out_channels > 1)
    ]
    return len(producers) > 1


@dataclass(frozen=True)
class Cut:
    """Remove channels ``idxs`` of ``root`` (with ``pruning_fn``) and everything coupled to them."""

    root: nn.Module
    pruning_fn: Callable[..., Any]
    idxs: tuple[int, ...]

    @classmethod
    def of(cls, group: Any) -> Cut:
        """The cut a Torch-Pruning group describes."""
        dep, idxs = group[0]
        return cls(dep.target.module, dep.handler, tuple(int(i) for i in idxs))

    def group(self, graph: tp.DependencyGraph) -> Any:
        """The coupled layers of this cut, built on the graph as it is now."""
        return graph.get_pruning_group(self.root, self.pruning_fn, list(self.idxs))


def remove_channels(graph: tp.DependencyGraph, cuts: Iterable[Cut]) -> None:
    """Physically remove the planned channels. Each group is built just before it is removed, so
    index maps through concatenations see the shapes left by the earlier cuts."""
    for cut in cuts:
        group = cut.group(graph)
        if not graph.check_pruning_group(group):
            raise ValueError(f"cut would remove every channel of {type(cut.root).__name__}")
        group.prune()


@torch.no_grad()
def mask_channels(graph: tp.DependencyGraph, cuts: Iterable[Cut], *, inputs: bool = True) -> None:
    """Zero the planned channels in place instead of removing them.

    Output channels are zeroed in every producer *and* in the BatchNorm's weight and bias — BN of a
    zero input is ``β − γ·μ/σ``, not zero. That alone (``inputs=False``, the "soft pruning" FPGM
    trains with) reproduces the pruned model whenever the activations map 0 to 0 (ReLU, ReLU6,
    hard-swish, a gate's product). With ``inputs=True`` the consumers' weights that read the
    channels are zeroed as well, which makes it exact after any activation.
    """
    roles: tuple[Role, ...] = ("producer", "norm", "consumer") if inputs else ("producer", "norm")
    for cut in cuts:
        for member in members(cut.group(graph), roles=roles):
            _zero(member)


def _zero(member: Member) -> None:
    module, idxs = member.module, member.idxs
    if member.role == "norm":
        if module.affine:
            module.weight[idxs] = 0.0
            module.bias[idxs] = 0.0
        if module.running_mean is not None:
            module.running_mean[idxs] = 0.0  # without affine params, a zero input then stays zero
        return
    if getattr(module, "transposed", False):
        raise NotImplementedError(f"masking transposed convolutions is not supported: {module}")
    if member.role == "producer":
        module.weight[idxs] = 0.0
        if module.bias is not None:
            module.bias[idxs] = 0.0
        return
    # consumer: zero the weights that read input channel i — with grouped (and depthwise)
    # convolutions only the filters of i's group read it, at column i mod (inputs per group)
    groups = getattr(module, "groups", 1)
    in_per_group, out_per_group = module.weight.shape[1], module.weight.shape[0] // groups
    for i in idxs.tolist():
        g, local = divmod(i, in_per_group)
        module.weight[g * out_per_group : (g + 1) * out_per_group, local] = 0.0
