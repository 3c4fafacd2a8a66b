#!/usr/bin/env -S /usr/bin/python3
"""PyTorch reference of the official one-image-at-a-time Likelihood Regret loop.

Follows compute_LR.py of Xiao et al. 2020 ("Likelihood Regret: An
Out-of-Distribution Detection Score for Variational Auto-encoder") and is used
to compare throughput with the Swift implementation.  For each test image x
(a batch of ONE, target = x itself with a Bernoulli likelihood on the intensities, or
 its bytes with --likelihood categorical, the paper's 256-way decoder;
no binarization):

  1. NLL_before: IWAE estimate with K importance samples (--iwae-samples) from
     the trained encoder,
         log w_k = log p(x|z_k) + log N(z_k; 0, I) - log N(z_k; mu, sigma^2),
         z_k = mu + sigma * eps_k,
         NLL = -(logsumexp_k log w_k - log K),
     drawn in chunks of --chunk samples, each chunk decoded as one batch.
  2. Refit: deep copy of the model, decoder frozen (requires_grad False and
     not in the optimizer), Adam(encoder params, lr 2e-4, betas (0.9, 0.999),
     weight_decay 5e-5), --steps steps on the single-sample negative ELBO of x
     (fresh eps every step): BCE-with-logits summed over pixels + analytic KL.
  3. NLL_after: the same IWAE estimate with the refitted encoder.
  4. regret = NLL_before - NLL_after.

The weights do not affect throughput: by default the model is trained briefly
here (--train-steps, Adam lr 3e-4, batch 128, intensities as Bernoulli targets
like the regret objective); --train-steps 0 uses the fresh initialisation.

Timing: one untimed warm-up image, then --images images timed with
time.perf_counter (wall clock), covering both IWAE estimates, the model copy
and the refit steps.  The IWAE/refit split is reported per image.

Run with Debian's system Python (it has python3-torch; the pyenv python on PATH
does not):

    /usr/bin/python3 bench/reference/torch_regret.py --model dcgan --images 20

OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS=--threads are set (setdefault)
before torch is imported; see torch_vae.py for why.  Prints one final JSON line.
"""

import argparse
import copy
import json
import math
import os
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=["dcgan", "mlp"], default="dcgan")
    p.add_argument("--likelihood", choices=["bernoulli", "categorical"], default="bernoulli",
                   help="dcgan only: categorical is the paper's 256-way decoder (targets: the bytes)")
    p.add_argument("--iwae-samples", type=int, default=1000, help="importance samples K")
    p.add_argument("--chunk", type=int, default=100,
                   help="importance samples decoded as one batch")
    p.add_argument("--steps", type=int, default=100, help="encoder refit steps per image")
    p.add_argument("--images", type=int, default=20, help="timed test images")
    p.add_argument("--train-steps", type=int, default=200,
                   help="brief training before the loop (0: fresh initialisation)")
    p.add_argument("--train-lr", type=float, default=3e-4)
    p.add_argument("--train-batch", type=int, default=128)
    p.add_argument("--refit-lr", type=float, default=2e-4)
    p.add_argument("--refit-weight-decay", type=float, default=5e-5)
    p.add_argument("--convtranspose", choices=["auto", "native", "conv"], default="auto",
                   help="dcgan decoder: native ConvTranspose2d or the equivalent Conv2d over "
                        "a zero-dilated input (torch_vae.py); auto times both for each phase "
                        "(IWAE chunk decode, refit step) and keeps the faster per phase")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if min(args.chunk, args.iwae_samples, args.images) < 1 or args.steps < 0:
        p.error("--chunk, --iwae-samples and --images must be positive, --steps >= 0")
    if args.model == "mlp":
        args.convtranspose = "n/a"
    return args


# Thread settings must be in the environment before torch is loaded, so parse
# the arguments first (only when run as a script, like torch_vae.py).
ARGS = parse_args() if __name__ == "__main__" else None
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if ARGS is not None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.threads))

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_vae  # noqa: E402  (models, data and loss of the training reference)

LIKELIHOOD = ARGS.likelihood if ARGS is not None else "bernoulli"


def target_of(x):
    """The likelihood's target for inputs x: x itself, or its bytes as classes."""
    return torch_vae.make_targets(x, LIKELIHOOD)


# ------------------------------------------------------------------ model parts

def encoder_parameters(model):
    """Every parameter outside `model.decoder`: for DCGANVAE the conv trunk
    `encoder` plus the `mu_head` / `logvar_head` convs, for MLPVAE `encoder`."""
    params = [p for name, p in model.named_parameters() if not name.startswith("decoder.")]
    assert params and len(params) < len(list(model.parameters())), "no encoder/decoder split"
    return params


def set_decoder_path(model, as_conv):
    """Select the ConvTranspose2d implementation of a dcgan decoder (no-op for
    the mlp).  Both paths share the parameters, so this can change any time."""
    if as_conv is not None and hasattr(model, "set_convtranspose_as_conv"):
        model.set_convtranspose_as_conv(as_conv)


# ------------------------------------------------------------------------ IWAE

@torch.no_grad()
def iwae_nll(model, x, k_total, chunk, gen):
    """IWAE estimate of -log p(x) (nats) for ONE image x ([1, ...]) with
    k_total importance samples, decoded `chunk` samples per batch."""
    mu, logvar = model.encode(x)                   # [1, nz] each
    std = torch.exp(0.5 * logvar)
    log_q_norm = 0.5 * logvar.sum()                # -log of q's sigma product
    log_w = []
    for k0 in range(0, k_total, chunk):
        k = min(chunk, k_total - k0)
        eps = torch.randn((k, mu.shape[1]), generator=gen)
        z = mu + std * eps                         # [k, nz]: the latent repeated k times
        logits = model.decode(z)
        target = target_of(x)
        target = target.expand((k,) + target.shape[1:])
        log_px = -torch_vae.reconstruction_nll(logits, target, LIKELIHOOD)
        # log N(z; 0, I) - log N(z; mu, sigma^2): the 2*pi terms cancel and
        # (z - mu) / sigma is eps.
        log_w.append(log_px + 0.5 * (eps.pow(2) - z.pow(2)).sum(1) + log_q_norm)
    log_w = torch.cat(log_w)
    return -(torch.logsumexp(log_w, 0) - math.log(k_total)).item()


# ----------------------------------------------------------------------- refit

def make_refit_copy(model, args):
    """Deep copy of the model whose decoder is frozen, and an Adam optimizer
    over the copy's encoder parameters only (official settings)."""
    refit = copy.deepcopy(model)
    for p in refit.decoder.parameters():
        p.requires_grad_(False)
    encoder = encoder_parameters(refit)
    for p in encoder:  # the source model is frozen as a whole; unfreeze the copy's encoder
        p.requires_grad_(True)
    optimizer = torch.optim.Adam(encoder, lr=args.refit_lr,
                                 betas=(0.9, 0.999), weight_decay=args.refit_weight_decay)
    return refit, optimizer


def refit_step(refit, optimizer, x, gen):
    """One Adam step on the single-sample negative ELBO of x (fresh eps)."""
    loss = torch_vae.negative_elbo(refit, x, target_of(x), LIKELIHOOD, 1.0, gen).sum()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def likelihood_regret(model, x, args, gen, paths):
    """Regret of one image.  Returns (regret, seconds in IWAE, seconds in refit).
    `paths` = (as_conv for IWAE, as_conv for the refit), None for the mlp."""
    t0 = time.perf_counter()
    set_decoder_path(model, paths[0])
    nll_before = iwae_nll(model, x, args.iwae_samples, args.chunk, gen)

    t1 = time.perf_counter()
    refit, optimizer = make_refit_copy(model, args)
    set_decoder_path(refit, paths[1])
    for _ in range(args.steps):
        refit_step(refit, optimizer, x, gen)

    t2 = time.perf_counter()
    set_decoder_path(refit, paths[0])
    nll_after = iwae_nll(refit, x, args.iwae_samples, args.chunk, gen)
    t3 = time.perf_counter()
    return nll_before - nll_after, (t1 - t0) + (t3 - t2), t2 - t1


# ------------------------------------------------------------ ConvTranspose path

def median_seconds(fn, repeats=3):
    """Median wall time of fn() over `repeats` runs after one warm-up run."""
    times = []
    for i in range(repeats + 1):
        t0 = time.perf_counter()
        fn()
        if i > 0:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def choose_paths(model, x, args):
    """Resolve --convtranspose into (as_conv for IWAE, as_conv for the refit)
    and a label.  'auto' times one IWAE chunk decode and one refit step with
    each implementation (on throw-away copies, with a private generator so the
    run's random numbers are unchanged) and keeps the faster per phase."""
    if args.model != "dcgan":
        return (None, None), "n/a"
    if args.convtranspose != "auto":
        flag = args.convtranspose == "conv"
        return (flag, flag), args.convtranspose

    gen = torch.Generator().manual_seed(9876)
    chunk = min(args.chunk, args.iwae_samples)
    timings = {}
    for name, flag in (("native", False), ("conv", True)):
        probe, optimizer = make_refit_copy(model, args)
        set_decoder_path(probe, flag)
        t_iwae = median_seconds(lambda: iwae_nll(probe, x, chunk, chunk, gen))
        t_refit = median_seconds(lambda: refit_step(probe, optimizer, x, gen))
        timings[name] = (t_iwae, t_refit)
    iwae_choice = min(timings, key=lambda n: timings[n][0])
    refit_choice = min(timings, key=lambda n: timings[n][1])
    print("convtranspose auto: "
          + ", ".join(f"{n} {t[0] * 1e3:.2f} ms/chunk, {t[1] * 1e3:.2f} ms/refit-step"
                      for n, t in timings.items())
          + f" -> IWAE {iwae_choice}, refit {refit_choice}", file=sys.stderr, flush=True)
    label = iwae_choice if iwae_choice == refit_choice else \
        f"iwae:{iwae_choice},refit:{refit_choice}"
    return (iwae_choice == "conv", refit_choice == "conv"), label


# ---------------------------------------------------------------------- training

def train_briefly(model, args):
    """--train-steps Adam steps (lr --train-lr) on shuffled training batches,
    intensities as Bernoulli targets (no binarization, as in the regret loop)."""
    if args.train_steps <= 0:
        return
    x_train = torch_vae.load_split("train", args.model)
    stream = torch_vae.batches(x_train, args.train_batch, "none", LIKELIHOOD)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.train_lr)
    t0 = time.perf_counter()
    for _ in range(args.train_steps):
        x, target = next(stream)
        loss = torch_vae.negative_elbo(model, x, target, LIKELIHOOD).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    print(f"trained {args.train_steps} steps in {time.perf_counter() - t0:.1f} s, "
          f"last neg-ELBO {loss.item():.2f}", file=sys.stderr, flush=True)


# -------------------------------------------------------------------------- main

def main(args):
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    if args.model == "mlp" and args.likelihood != "bernoulli":
        raise SystemExit("the mlp has a Bernoulli decoder only")
    model = torch_vae.MLPVAE() if args.model == "mlp" else torch_vae.DCGANVAE(
        out_channels=1 if args.likelihood == "bernoulli" else 256)
    train_briefly(model, args)
    for p in model.parameters():  # the trained model itself is never updated again
        p.requires_grad_(False)

    # Image 0 is the warm-up, images 1..N are timed.
    x_test = torch_vae.load_split("t10k", args.model, args.images + 1)
    if x_test.shape[0] < args.images + 1:
        raise SystemExit(f"only {x_test.shape[0]} test images")
    paths, label = choose_paths(model, x_test[:1], args)

    gen = torch.Generator().manual_seed(args.seed)
    likelihood_regret(model, x_test[:1], args, gen, paths)  # warm-up, untimed

    regrets, t_iwae, t_refit = [], 0.0, 0.0
    t0 = time.perf_counter()
    for i in range(1, args.images + 1):
        regret, s_iwae, s_refit = likelihood_regret(model, x_test[i:i + 1], args, gen, paths)
        regrets.append(regret)
        t_iwae += s_iwae
        t_refit += s_refit
    seconds = time.perf_counter() - t0

    n = args.images
    result = {"model": args.model, "likelihood": args.likelihood,
              "images_per_second": round(n / seconds, 4),
              "iwae_samples": args.iwae_samples, "steps": args.steps,
              "seconds_iwae_per_image": round(t_iwae / n, 4),
              "seconds_refit_per_image": round(t_refit / n, 4),
              "mean_regret": round(sum(regrets) / n, 4),
              "threads": args.threads, "convtranspose": label,
              "torch": torch.__version__}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
