"""Slimmable networks: one trained set of weights at every width, switchable BN, real savings.

One ``SlimmableDigitsNet(width=16)`` is trained once for the module (6 epochs at the four widths
in batches of 128, 11-16 s on a loaded machine); the other tests use small nets and single batches.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

import zoo
from zoo.data import DigitsSplit, loaders
from zoo.dynamic import (
    WIDTHS,
    SlimmableConv2d,
    SlimmableDigitsNet,
    SlimmableLinear,
    SwitchableBatchNorm2d,
    active_width,
    evaluate_widths,
    export_width,
    set_width,
    slim_channels,
    train_slimmable,
    widths_of,
)
from zoo.metrics import count_flops, count_parameters
from zoo.nets import digits_cnn
from zoo.training import seed_everything

FLOORS = {0.25: 0.85, 0.5: 0.93, 0.75: 0.95, 1.0: 0.95}  # measured 0.950, 0.981, 0.994, 1.000


@dataclass(frozen=True)
class Trained:
    model: SlimmableDigitsNet
    accuracy: dict[float, float]
    losses: dict[float, list[float]]


@pytest.fixture(scope="module")
def trained(digits: DigitsSplit) -> Trained:
    train_data, test_data = loaders(digits, batch_size=128)
    seed_everything(0)
    model = SlimmableDigitsNet(width=16)
    history = train_slimmable(model, train_data, WIDTHS, epochs=6, lr=2e-2, seed=0)
    return Trained(model, evaluate_widths(model, test_data), history.width_losses)


def test_registered_under_dynamic_networks() -> None:
    record = zoo.get("slimmable")
    assert (record.category, record.subcategory) == ("architecture", "dynamic")
    assert record.paper == "2019-iclr-slimmable-neural-networks"
    assert record.obj is train_slimmable


# --- the trained network -------------------------------------------------------------------


def test_one_shared_network_reaches_its_floor_at_every_width(trained: Trained) -> None:
    assert set(trained.accuracy) == set(WIDTHS)
    for width, floor in FLOORS.items():
        assert trained.accuracy[width] >= floor, (width, trained.accuracy)
    assert trained.accuracy[1.0] > trained.accuracy[0.25]
    for width, losses in trained.losses.items():  # every width learned, not just the widest
        assert losses[-1] < 0.5 * losses[0], width
    assert active_width(trained.model) == 1.0 and not trained.model.training


def test_narrower_widths_run_fewer_parameters_and_flops(
    trained: Trained, digits: DigitsSplit
) -> None:
    model, x = copy.deepcopy(trained.model), digits.x_test[:8]
    params, flops = [], []
    for width in WIDTHS:
        set_width(model, width)
        plain = export_width(model, width)
        assert not any(isinstance(m, SlimmableConv2d | SlimmableLinear | SwitchableBatchNorm2d)
                       for m in plain.modules())
        torch.testing.assert_close(plain(x), model(x), rtol=0, atol=1e-5)  # the same network
        params.append(count_parameters(plain))
        flops.append(count_flops(model, x[:1]))
        assert count_flops(plain, x[:1]) == flops[-1]  # the slimmable net only runs its slice
    assert params == sorted(set(params)) and flops == sorted(set(flops))
    assert params == [1_702, 6_274, 13_726, 24_058]
    assert flops[0] < 0.07 * flops[-1] and flops[1] < 0.26 * flops[-1]  # about w² of the cost
    # the exports are the digits CNN of that width, weights and all
    for width, channels in ((0.25, 4), (0.5, 8), (1.0, 16)):
        cnn = digits_cnn(width=channels)
        cnn.load_state_dict(export_width(model, width).state_dict())
        set_width(model, width)
        torch.testing.assert_close(cnn.eval()(x), model(x), rtol=0, atol=1e-5)
    # one set of shared weights: the slimmable net is the full CNN plus the narrower private BNs
    private_bn = sum(2 * slim_channels(c, w) for c in (16, 32, 64) for w in WIDTHS[:-1])
    assert count_parameters(model) == params[-1] + private_bn == 24_058 + 336


def test_private_bn_statistics_are_what_make_narrow_widths_work(
    trained: Trained, digits_loaders: tuple[DataLoader, DataLoader]
) -> None:
    """The paper's motivation for switchable BN: normalising width 0.25 with (sliced) full-width
    statistics breaks it (measured: 0.19; chance is 0.10); its own statistics give ≥ 0.85."""
    shared = copy.deepcopy(trained.model)
    for bn in (m for m in shared.modules() if isinstance(m, SwitchableBatchNorm2d)):
        full = bn.bn[-1]
        for narrow in bn.bn[:-1]:
            narrow.running_mean.copy_(full.running_mean[: narrow.num_features])
            narrow.running_var.copy_(full.running_var[: narrow.num_features])
    accuracy = evaluate_widths(shared, digits_loaders[1])
    assert accuracy[1.0] == trained.accuracy[1.0]
    assert accuracy[0.25] < 0.5 <= FLOORS[0.25] <= trained.accuracy[0.25]


# --- switchable batch normalisation and training ----------------------------------------------


def test_each_width_keeps_its_own_batchnorm_statistics(digits: DigitsSplit) -> None:
    """Training-mode passes at the narrow widths leave the full width's statistics, and so its
    outputs, untouched — a single BN sliced per width would update its leading channels."""
    seed_everything(0)
    net = SlimmableDigitsNet(width=8)
    x = digits.x_train
    net.train()
    net(x[:64])  # width 1.0: its statistics move
    net.eval()
    before = net(x[:16]).detach()
    full_stats = [bn.bn[-1].running_mean.clone() for bn in net.modules()
                  if isinstance(bn, SwitchableBatchNorm2d)]
    net.train()
    for width in (0.25, 0.5):
        set_width(net, width)
        net(x[64:128] * 3.0)  # different data at the narrow widths
    set_width(net, 1.0)
    net.eval()
    assert torch.equal(net(x[:16]), before)
    for bn, stats in zip((m for m in net.modules() if isinstance(m, SwitchableBatchNorm2d)),
                         full_stats, strict=True):
        assert torch.equal(bn.bn[-1].running_mean, stats)
        assert bn.bn[0].running_mean.abs().sum() > 0  # 0.25's own statistics did move
        assert torch.equal(bn.bn[2].running_mean, torch.zeros_like(bn.bn[2].running_mean))
        assert [b.num_features for b in bn.bn] == [slim_channels(bn.num_features, w)
                                                    for w in WIDTHS]


def test_one_optimizer_step_per_batch_from_the_gradients_of_every_width(
    monkeypatch: pytest.MonkeyPatch, digits: DigitsSplit
) -> None:
    seed_everything(0)
    net = SlimmableDigitsNet(width=4)
    x, y = digits.x_train[:32], digits.y_train[:32]
    reference = copy.deepcopy(net).train()
    for width in WIDTHS:  # Σ_w ∇L_w by hand
        set_width(reference, width)
        F.cross_entropy(reference(x), y).backward()
    seen: list[dict[str, torch.Tensor]] = []
    step = torch.optim.Adam.step

    def spy(self: torch.optim.Adam, *args: object, **kwargs: object) -> object:
        seen.append({n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None})
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", spy)
    train_slimmable(net, [(x, y)] * 2, epochs=1, seed=None)
    assert len(seen) == 2  # one step per batch, not per width
    grads = seen[0]
    assert set(grads) == {n for n, _ in reference.named_parameters()}  # every private BN too
    for name, param in reference.named_parameters():
        torch.testing.assert_close(grads[name], param.grad)


def test_training_only_some_widths_leaves_the_others_bn_alone(digits: DigitsSplit) -> None:
    seed_everything(0)
    net = SlimmableDigitsNet(width=4)
    untouched = copy.deepcopy(net)
    history = train_slimmable(net, [(digits.x_train[:32], digits.y_train[:32])],
                              widths=(1.0, 0.5), epochs=1)
    assert list(history.width_losses) == [1.0, 0.5] and len(history.losses) == 1
    for (name, after), before in zip(net.state_dict().items(), untouched.state_dict().values(),
                                     strict=True):
        if ".bn.0." in name or ".bn.2." in name:  # the 0.25 and 0.75 BNs never ran
            assert torch.equal(after, before), name
        elif name.endswith("weight") and ".bn." not in name:
            assert not torch.equal(after, before), name


# --- layers and errors ------------------------------------------------------------------------


def test_layers_slice_the_leading_block_of_one_weight() -> None:
    conv = SlimmableConv2d(3, 8, 3, padding=1, slim_in=False)
    set_width(conv, 0.5)
    x = torch.randn(2, 3, 5, 5)
    torch.testing.assert_close(conv(x), F.conv2d(x, conv.weight[:4], conv.bias[:4], padding=1))
    assert conv.channels() == (3, 4) and conv.channels(0.25) == (3, 2)
    depthwise = SlimmableConv2d(8, 8, 3, padding=1, groups=8)
    set_width(depthwise, 0.75)
    x = torch.randn(2, 6, 5, 5)
    torch.testing.assert_close(depthwise(x), F.conv2d(x, depthwise.weight[:6], depthwise.bias[:6],
                                                      padding=1, groups=6))
    linear = SlimmableLinear(8, 10, slim_out=False)
    set_width(linear, 0.25)
    x = torch.randn(3, 2)
    torch.testing.assert_close(linear(x), F.linear(x, linear.weight[:, :2], linear.bias))
    assert isinstance(export_width(linear, 0.25), nn.Linear)


def test_bad_widths_raise_clear_value_errors(digits: DigitsSplit) -> None:
    net = SlimmableDigitsNet(width=4)
    set_width(net, 0.5)
    for bad in (0.3, 0, 2, True, "0.5", float("nan")):
        with pytest.raises(ValueError, match=r"is not in the model's width list \(0.25, 0.5, "):
            set_width(net, bad)  # type: ignore[arg-type]
    assert active_width(net) == 0.5  # nothing was switched
    with pytest.raises(ValueError, match="not in the model's width list"):
        train_slimmable(net, [(digits.x_train[:8], digits.y_train[:8])], widths=(0.5, 0.6))
    with pytest.raises(ValueError, match="not in the model's width list"):
        export_width(net, 0.6)
    with pytest.raises(ValueError, match="at least one width"):
        train_slimmable(net, [], widths=())
    for widths in ((), (0.0, 1.0), (0.5, 1.5)):
        with pytest.raises(ValueError, match=r"width list is empty|numbers in \(0, 1\]"):
            SlimmableDigitsNet(widths=widths)
    with pytest.raises(ValueError, match="has no slimmable layers"):
        set_width(digits_cnn(width=4), 0.5)
    with pytest.raises(ValueError, match="groups"):
        SlimmableConv2d(8, 16, 3, groups=4)
    conv = SlimmableConv2d(8, 8, 3)
    set_width(conv, 0.5)
    with pytest.raises(ValueError, match=r"expects 4 input channels, got 8 .*set_width"):
        conv(torch.zeros(1, 8, 5, 5))
    assert widths_of(SlimmableDigitsNet(widths=(1.0, 0.5, 0.5))) == (0.5, 1.0)
