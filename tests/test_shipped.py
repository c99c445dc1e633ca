"""The pre-trained runs shipped with the course stand for what the notebooks would train live.

Fast: each run is there and matches its preset, seed and data (a preset edited without remaking its run is
caught here, before any notebook loads a stale run). Slow: training the run again gives the same weights, bit
for bit (a change to the training code is caught here). Both failures name the command that remakes the runs.
The ring runs, vanilla and the c-GAN are compared with the seed-0 trainings test_ring, test_vanilla_claims and
test_conditional make anyway, instead of training them a second time; 03's two runs are trained again here.
"""

import pytest
import torch

from gan_course.checkpoints import SHIPPED_RUNS, load_run
from tools.shipped import COMMAND, SHIPPED, stale_reason
from helpers import same_build


def unequal_nets(a, b) -> list[str]:
    """The nets ("generator", "discriminator") whose weights differ between two training results, bit for bit."""
    pairs = {net: (getattr(a, net).state_dict(), getattr(b, net).state_dict()) for net in ("generator", "discriminator")}
    return [net for net, (x, y) in pairs.items() if x.keys() != y.keys() or not all(torch.equal(x[k], y[k]) for k in x)]


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_run_matches_its_preset_seed_and_data(name):
    reason = stale_reason(name)
    assert reason is None, f"the shipped run of {name!r} is stale: {reason}. Remake it: {COMMAND} {name}"


def test_no_shipped_run_is_left_over():
    assert sorted(p.name for p in SHIPPED_RUNS.iterdir() if p.is_dir()) == sorted(SHIPPED)


def test_unequal_nets_names_the_net_whose_weights_differ_by_one_bit():
    run, same = load_run(SHIPPED_RUNS / "ring"), load_run(SHIPPED_RUNS / "ring")
    assert unequal_nets(run, same) == []
    weight = next(same.discriminator.parameters())
    with torch.no_grad():
        weight.view(-1)[0] = torch.nextafter(weight.view(-1)[0], torch.tensor(float("inf")))
    assert unequal_nets(run, same) == ["discriminator"]


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, s in SHIPPED.items() if s.notebook == "03"])
def test_training_the_run_again_gives_the_shipped_weights(name):
    same_build(name)
    again, shipped = SHIPPED[name].train(), load_run(SHIPPED_RUNS / name)
    differ = unequal_nets(again, shipped)
    assert not differ, f"training {name!r} again gives other {' and '.join(differ)} weights: " \
                       f"remake the shipped run with {COMMAND} {name}"
    assert [s["step"] for s in again.snapshots] == [s["step"] for s in shipped.snapshots]
