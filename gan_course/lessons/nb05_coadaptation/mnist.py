r"""Neuron co-adaptation in D on MNIST (notebook 05): the always-black border, the noise G leaves there,
and each step of the slide's chain measured against the value it takes by chance.

Real digits are 0 (black; -1 on the [-1, 1] scale) on a frame of pixels near the border. The slide's
story: a hidden unit of D whose weights there come in pairs $+a, -a$ answers $a x_1 - a x_2 = 0$ to every
real digit *and* to every fake whose noise is equal on the pair, so the noise cancels and passes; dropout
on D's input breaks such pairs at random. :func:`mnist_chain` measures each step for one seed: are D's
border weights cancelling (against an untrained D and a D trained on shifted digits), is G's noise
correlated across neighbouring pixels (against random pairs), does D's gradient vanish on it (against the
same noise shuffled), and how much noise the final generator leaves, with and without input dropout.
"""

from __future__ import annotations

import torch

from gan_course.config import GANConfig
from gan_course.data import Digits
from gan_course.seeding import fixed_noise, seed_everything
from gan_course.train import build_models, new_state, train


def _flat(images: torch.Tensor) -> torch.Tensor:
    """Images (N, 1, 28, 28), (N, 28, 28) or (N, 784) in [-1, 1] as (N, 784) on the CPU."""
    images = torch.as_tensor(images).detach().float().cpu()
    if images.dim() < 2 or images[0].numel() != 784:
        raise ValueError(f"expected images of shape (N, 1, 28, 28) or (N, 784), got {tuple(images.shape)}")
    return images.reshape(len(images), 784)


def pixels_01(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] as pixels p = (x + 1) / 2 on the [0, 1] scale, (N, 784)."""
    return (_flat(images) + 1) / 2


def border_mask(images: torch.Tensor) -> torch.Tensor:
    """Pixels (28, 28) that are 0 (black, -1 on the [-1, 1] scale) in EVERY image (N, 1, 28, 28) in [-1, 1]."""
    pixels = pixels_01(images)  # (N, 784)
    return pixels.amax(0).eq(0).view(28, 28)


def _border_index(mask: torch.Tensor) -> torch.Tensor:
    """Flat indices (P,) of the masked pixels of a (28, 28) or (784,) mask."""
    mask = torch.as_tensor(mask, dtype=torch.bool).flatten().cpu()
    if mask.numel() != 784 or not mask.any():
        raise ValueError(f"mask must select some of the 28 x 28 pixels, got {mask.numel()} entries, {int(mask.sum())} set")
    return mask.nonzero().flatten()


def border_energy(images: torch.Tensor, mask: torch.Tensor) -> float:
    r"""Mean $|p|$ on the masked pixels of images in [-1, 1], on the [0, 1] pixel scale $p = (x + 1) / 2$.

    0 for a clean black border, 0.5 for a mid-gray one.
    """
    pixels = pixels_01(images)[:, _border_index(mask)]  # (N, P)
    return float(pixels.abs().mean())


def first_layer_weights(discriminator: torch.nn.Module) -> torch.Tensor:
    """D's first-layer weights on the 784 pixels, (hidden, 784) (a conditional D's label columns dropped)."""
    return discriminator.net[0].weight.detach().cpu()[:, :784]


def border_weights(discriminator: torch.nn.Module, mask: torch.Tensor) -> torch.Tensor:
    """D's first-layer weights on the masked pixels, (hidden, n_masked)."""
    mask = torch.as_tensor(mask, dtype=torch.bool).flatten().cpu()
    return first_layer_weights(discriminator)[:, mask]


# ------------------------------------------------------------- the slide's chain, measured
# Each measure comes with the value it takes by chance, so that a number reads against a baseline:
# an untrained D, shuffled pixel pairs, or noise of the same energy placed independently.
def neighbour_pairs(mask: torch.Tensor) -> torch.Tensor:
    """Pairs of masked pixels side by side (right or below), as positions in the masked vector: (n_pairs, 2)."""
    mask = torch.as_tensor(mask, dtype=torch.bool).view(28, 28).cpu()
    position = torch.full((28, 28), -1, dtype=torch.long)
    position[mask] = torch.arange(int(mask.sum()))
    pairs = []
    for a, b in ((position[:, :-1], position[:, 1:]), (position[:-1, :], position[1:, :])):
        both = (a >= 0) & (b >= 0)
        pairs.append(torch.stack([a[both], b[both]], dim=1))
    return torch.cat(pairs)


def evenly_lit_response(rows: torch.Tensor) -> torch.Tensor:
    r"""Squared response of each row (H, P) to an evenly lit border over its mean response to random-sign noise
    of the same energy: $(\sum_j w_j)^2 / \sum_j w_j^2$, shape (H,).

    The slide's two pixels: $+a, -a$ gives 0 (the pair cancels, $a n - a n = 0$). Weights of random signs
    give 1 on average (an untrained D). A row of one sign, a detector of light on the border, gives up to P.
    Applied to D's gradient on the border, it compares the feedback G gets for noise that is equal on all
    border pixels with the feedback for independent noise of the same energy.
    """
    rows = torch.as_tensor(rows, dtype=torch.float64)
    if rows.dim() == 1:
        rows = rows.unsqueeze(0)
    norm2 = rows.pow(2).sum(1)
    return torch.where(norm2 > 0, rows.sum(1).pow(2) / norm2.clamp_min(1e-300), torch.zeros_like(norm2)).float()


def pair_correlation(rows: torch.Tensor, pairs: torch.Tensor) -> float:
    """Pearson correlation of the two values of each pair, pooled over rows (H, P) and pairs (n_pairs, 2).

    Negative when the pairs tend to hold $+a, -a$ (cancelling), positive when they tend to share a sign.
    """
    rows = torch.as_tensor(rows, dtype=torch.float64)
    a, b = rows[:, pairs[:, 0]].flatten(), rows[:, pairs[:, 1]].flatten()
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-300))


def shuffled_pairs(n_pixels: int, n_pairs: int, seed: int = 0) -> torch.Tensor:
    """Random pairs (n_pairs, 2) of distinct positions among ``n_pixels``: the baseline for neighbour pairs."""
    g = torch.Generator().manual_seed(seed)
    first = torch.randint(n_pixels, (n_pairs,), generator=g)
    second = (first + torch.randint(1, n_pixels, (n_pairs,), generator=g)) % n_pixels
    return torch.stack([first, second], dim=1)


def weight_pair_correlation(weights: torch.Tensor, mask: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """Correlation of D's first-layer weights (H, P) on neighbouring border pixels, and on random border pairs."""
    pairs = neighbour_pairs(mask)
    return {"neighbours": pair_correlation(weights, pairs),
            "shuffled": pair_correlation(weights, shuffled_pairs(weights.shape[1], 4 * len(pairs), seed))}


def noise_pair_correlation(images: torch.Tensor, mask: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """Does G's border noise correlate across pixel pairs? Over samples (N, 1, 28, 28): the mean correlation of
    neighbouring border pixels, of random pairs of border pixels, and of random pairs after each pixel's values
    were shuffled over the samples on their own (chance: 0)."""
    p = pixels_01(images)[:, _border_index(mask)].double()  # (N, P) on the [0, 1] scale
    p = p - p.mean(0)
    std = p.std(0)
    keep = std > 1e-6  # a pixel that never changes has no correlation
    z = p[:, keep] / std[keep]
    n = z.shape[1]
    if n < 2:
        raise ValueError("fewer than two border pixels vary over the samples: no correlation to measure")
    corr = lambda pairs: float((z[:, pairs[:, 0]] * z[:, pairs[:, 1]]).mean(0).mean())  # noqa: E731
    position = torch.full((len(keep),), -1, dtype=torch.long)
    position[keep] = torch.arange(n)
    neighbours = position[neighbour_pairs(mask)]
    neighbours = neighbours[(neighbours >= 0).all(1)]
    g = torch.Generator().manual_seed(seed)
    independent = torch.stack([col[torch.randperm(len(col), generator=g)] for col in z.T], dim=1)
    random_pairs = shuffled_pairs(n, 4 * len(neighbours), seed)
    return {"neighbours": corr(neighbours), "random_pairs": corr(random_pairs),
            "independent": float((independent[:, random_pairs[:, 0]] * independent[:, random_pairs[:, 1]]).mean(0).mean())}


def border_gradient(discriminator: torch.nn.Module, images: torch.Tensor, mask: torch.Tensor,
                    n_masks: int = 0) -> torch.Tensor:
    r"""What D tells G on the border: $\partial \ell / \partial p_j$ of D's logit $\ell$ at each image (N, 1, 28, 28),
    for the border pixels $p_j = (x_j + 1) / 2$ on the [0, 1] scale, shape (N, P).

    ``n_masks`` = 0 evaluates D as it is deployed (eval mode, no dropout). ``n_masks`` = K > 0 averages the
    gradient over K draws of D's dropout in training mode: the mean feedback G gets during training.
    """
    index = _border_index(mask)
    x = _flat(images).to(next(discriminator.parameters()).device).clone().requires_grad_(True)  # (N, 784)
    was_training = discriminator.training
    params = [p.requires_grad for p in discriminator.parameters()]
    discriminator.requires_grad_(False)
    try:
        discriminator.train(n_masks > 0)
        total = torch.zeros_like(x)
        for _ in range(max(n_masks, 1)):
            (grad,) = torch.autograd.grad(discriminator(x).sum(), x)
            total += grad
    finally:
        discriminator.train(was_training)
        for p, flag in zip(discriminator.parameters(), params):
            p.requires_grad_(flag)
    return (2 * total.cpu() / max(n_masks, 1))[:, index]  # dl/dp = 2 dl/dx


# --------------------------------------------------------------------- per-seed figures on MNIST
def shifted_digits(digits, max_shift: int = 4, seed: int = 0):
    """The digits, each moved by a random (dy, dx) in [-max_shift, max_shift]^2 with black filling in:
    data whose frame carries real strokes, so a D trained on it has no always-black border to exploit."""
    g = torch.Generator().manual_seed(seed)
    shifts = torch.randint(-max_shift, max_shift + 1, (len(digits), 2), generator=g)
    padded = torch.nn.functional.pad(digits.images.cpu(), (max_shift,) * 4, value=-1.0)  # (N, 1, 28 + 2s, 28 + 2s)
    moved = torch.stack([padded[i, :, max_shift - dy:max_shift - dy + 28, max_shift - dx:max_shift - dx + 28]
                         for i, (dy, dx) in enumerate(shifts.tolist())])
    return Digits(moved, digits.labels.cpu(), f"{digits.source}, shifted by up to {max_shift} pixels")


def final_samples(generator: torch.nn.Module, latent_dim: int, n: int = 2000, seed: int = 0) -> torch.Tensor:
    """What ``python -m gan_course sample RUN --n n --seed seed`` writes: (n, 1, 28, 28) in [-1, 1] from fixed noise."""
    generator.eval()
    z = fixed_noise(n, latent_dim, seed).to(next(generator.parameters()).device)  # (n, latent_dim)
    with torch.no_grad():
        return generator(z).view(-1, 1, 28, 28).clamp(-1, 1).cpu()


def discriminator_figures(discriminator: torch.nn.Module, mask: torch.Tensor) -> dict[str, float]:
    """D's first-layer border weights: mean evenly-lit response over units (chance 1) and the neighbour-pair
    correlation against random pairs."""
    weights = border_weights(discriminator, mask)
    pairs = weight_pair_correlation(weights, mask)
    return {"evenly_lit": float(evenly_lit_response(weights).mean()),
            "pair_corr": pairs["neighbours"], "pair_corr_shuffled": pairs["shuffled"]}


def feedback_figures(discriminator: torch.nn.Module, fakes: torch.Tensor, mask: torch.Tensor,
                     n_masks: int = 0) -> dict[str, float]:
    """D's gradient to G on the border of fakes (N, 1, 28, 28), median over fakes: its evenly-lit response (the
    feedback on noise equal on every border pixel over that on independent noise of the same energy: chance 1,
    0 if correlated noise passed unseen), its norm, and its mean over the border (< 0: D pushes the border darker)."""
    gradient = border_gradient(discriminator, fakes, mask, n_masks)  # (N, P)
    return {"grad_evenly_lit": float(evenly_lit_response(gradient).median()),
            "grad_norm": float(gradient.norm(dim=1).median()), "grad_mean": float(gradient.mean(1).median())}


def start_from_pixel_means(generator: torch.nn.Module, images: torch.Tensor, eps: float = 1e-7) -> None:
    r"""Set G's output biases so that G starts at each pixel's data mean, as the original GAN's G did.

    The original's sigmoid output started at $\mathrm{logit}(\bar p_j)$, $\bar p_j$ clipped to $[\epsilon, 1 - \epsilon]$;
    for our Tanh output, $\tanh(b_j) = 2 \bar p_j - 1$ gives $b_j = \tfrac12 \mathrm{logit}(\bar p_j)$. An always-black border
    pixel starts at $b_j \approx -8$: black, and with almost no gradient to move it.
    """
    mean = pixels_01(images).mean(0).clamp(eps, 1 - eps)  # (784,)
    output = [m for m in generator.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        output.bias.copy_(0.5 * torch.logit(mean).to(output.bias))


def train_arm(config: GANConfig, data: Digits, seed: int, black_start: bool = False):
    """Train ``config`` from ``seed`` on the CPU (a TrainResult); ``black_start`` first sets G's output biases to the
    data's pixel means (:func:`start_from_pixel_means`), so G's border starts black, as the original's did."""
    if not black_start:
        return train(config, data, seed=seed, progress=False, device="cpu")
    state = new_state(config, 784, seed=seed, device="cpu")
    start_from_pixel_means(state.generator, data.images)
    return train(config, data, state=state, progress=False)


def run_figures(run, mask: torch.Tensor, n_samples: int = 2000, n_probe: int = 500) -> dict[str, float]:
    """Every step of the chain for one trained run (a TrainResult), on its final generator (``n_samples`` from
    fixed noise, seed 0): border energy, G's noise correlation, D's border weights and D's gradient to G."""
    fakes = final_samples(run.generator, run.config.latent_dim, n_samples)
    noise = noise_pair_correlation(fakes, mask)
    return {"border_energy": border_energy(fakes, mask), "seconds": run.seconds,
            "noise_corr": noise["neighbours"], "noise_corr_random": noise["random_pairs"],
            **discriminator_figures(run.discriminator, mask),
            **feedback_figures(run.discriminator, fakes[:n_probe], mask)}


def mnist_chain(config: GANConfig, data: Digits, seed: int, mask: torch.Tensor, shifted: bool = True) -> dict:
    """Train ``config`` from ``seed`` with its input dropout, without it (control) and, with ``shifted``, without it
    on :func:`shifted_digits` (real border pixels sometimes lit); the chain's figures of each, prefixed
    ``dropout_``, ``control_``, ``shifted_``, the untrained D's (``untrained_``), and ``ratio``: the final border
    energy with over without input dropout."""
    seed_everything(seed)
    _, untrained = build_models(config)  # the initial D of every run
    figures: dict = {"seed": seed, **{f"untrained_{k}": v for k, v in discriminator_figures(untrained, mask).items()}}
    arms = [("dropout", config, data), ("control", config.replace(input_dropout=0.0), data)]
    if shifted:
        arms.append(("shifted", config.replace(input_dropout=0.0), shifted_digits(data)))
    for name, arm_config, arm_data in arms:
        run = train_arm(arm_config, arm_data, seed)
        figures.update({f"{name}_{k}": v for k, v in run_figures(run, mask).items()})
    figures["ratio"] = figures["dropout_border_energy"] / figures["control_border_energy"]
    return figures


# The original GAN's MNIST setting (Goodfellow et al., 2014), read from their code: goodfeli/adversarial, mnist.yaml.
ORIGINAL_GAN: dict[str, str] = {
    "pixels": "[0, 1]: black is 0",
    "D": "maxout: two layers of 240 units x 5 pieces",
    "D's input dropout": "keep 0.8 (rate 0.2), kept pixels scaled by 1.25, pixels in [0, 1]: a dropped pixel is black",
    "D's hidden dropout": "keep 0.5 (rate 0.5), scaled by 2",
    "D's dropout in the G-step": "on (the same dropout in G's objective)",
    "G": "100-d noise, ReLU (1200, 1200), sigmoid output",
    "G's border at the start": "black: output biases = logit of each pixel's mean in the data",
    "G's loss": "-log D(G(z))",
    "updates": "D and G updated together, from the same minibatch",
    "optimiser": "SGD, lr 0.1 for both, divided by 1.000004 after every update; momentum 0.5 rising to 0.7 by epoch 250",
    "batch, data": "100; 50,000 MNIST training digits",
}
