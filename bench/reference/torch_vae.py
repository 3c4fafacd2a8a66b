#!/usr/bin/env -S /usr/bin/python3
"""PyTorch reference implementation of VAEKit's two VAEs and training loop.

Used to compare training throughput and test likelihoods against the Swift
implementation.  The architectures, objective and optimizer match the Swift
side exactly so that both do identical FLOPs per step.

Run with Debian's system Python (it has python3-torch; the pyenv python on PATH
does not) and with OMP_WAIT_POLICY=PASSIVE:

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/reference/torch_vae.py \
        --mode throughput --model mlp --steps 200 --warmup 20

Why PASSIVE: with the default (active) wait policy idle OpenMP workers spin,
and on a 2-core machine the spinning threads starve OpenBLAS's own pthreads.
The script also sets it (setdefault) before importing torch, so an explicit
environment value still wins.

Models
  mlp    784-512-512-(2x32) encoder, 32-512-512-784 decoder, Bernoulli logits.
  dcgan  DCGAN-like VAE of the Likelihood Regret paper (Xiao et al. 2020),
         BatchNorm left out, 32x32 input (28x28 zero-padded by 2), nz=100,
         Bernoulli (1 logit/pixel) or 256-way categorical likelihood.

Modes
  throughput  train warmup+steps steps, report examples/s over the timed steps.
  train       train N epochs, then test negative ELBO and IWAE NLL (nats).
  check       verify that the two ConvTranspose2d implementations agree.
Every mode prints exactly one final JSON line.
"""

import argparse
import json
import math
import os
import resource
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", choices=["throughput", "train", "check"], default="throughput")
    p.add_argument("--model", choices=["mlp", "dcgan"], default="mlp")
    p.add_argument("--likelihood", choices=["bernoulli", "categorical"], default="bernoulli",
                   help="categorical (256-way per pixel) is only available for dcgan")
    p.add_argument("--binarize", choices=["dynamic", "none"], default=None,
                   help="default: dynamic for mlp, none for dcgan")
    p.add_argument("--lr", type=float, default=None, help="default: 1e-3 mlp, 3e-4 dcgan")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--beta", type=float, default=1.0, help="KL weight")
    p.add_argument("--steps", type=int, default=200, help="timed steps (throughput mode)")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps (throughput mode)")
    p.add_argument("--epochs", type=int, default=10, help="training epochs (train mode)")
    p.add_argument("--iwae-samples", type=int, default=1000, help="K for the IWAE bound")
    p.add_argument("--iwae-chunk", type=int, default=100,
                   help="importance samples drawn per image at once")
    p.add_argument("--eval-batch", type=int, default=100, help="test images evaluated at once")
    p.add_argument("--eval-rows", type=int, default=None,
                   help="max decoder rows per call during IWAE (memory bound); "
                        "default 10000 mlp, 2000 dcgan-bernoulli, 200 dcgan-categorical")
    p.add_argument("--convtranspose", choices=["auto", "native", "conv"], default="auto",
                   help="dcgan decoder: native ConvTranspose2d, or the equivalent Conv2d "
                        "over a zero-dilated input; auto times both and keeps the faster")
    p.add_argument("--convtranspose-as-conv", action="store_true",
                   help="shorthand for --convtranspose conv")
    p.add_argument("--train-limit", type=int, default=None, help="use the first N training images")
    p.add_argument("--test-limit", type=int, default=None, help="use the first N test images")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--save-params", metavar="FILE",
                   help="train mode, dcgan: write the trained parameters under VAEKit's names "
                        "(HDF5 /params/<name>, the mu/logvar heads fused) for grafting into a "
                        "VAEKit checkpoint")
    args = p.parse_args(argv)

    if args.convtranspose_as_conv:
        args.convtranspose = "conv"
    if args.model == "mlp":
        if args.likelihood != "bernoulli":
            p.error("the mlp model only has a Bernoulli decoder")
        args.convtranspose = "n/a"
    if args.binarize is None:
        args.binarize = "dynamic" if args.model == "mlp" else "none"
    if args.lr is None:
        args.lr = 1e-3 if args.model == "mlp" else 3e-4
    if args.eval_rows is None:
        args.eval_rows = {"mlp": 10000, "bernoulli": 2000, "categorical": 200}[
            "mlp" if args.model == "mlp" else args.likelihood]
    return args


# Thread settings must be in the environment before torch (and with it the
# OpenMP runtime and OpenBLAS) is loaded, so parse the arguments first.
ARGS = parse_args() if __name__ == "__main__" else None
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if ARGS is not None:
    # Debian's torch uses pthread OpenBLAS for Linear layers; torch.set_num_threads
    # only controls OpenMP, so pin OpenBLAS's pool to the same size.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.threads))

import torch  # noqa: E402
import fashion_mnist  # noqa: E402  (the IDX files, read with numpy)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------- data

def load_split(split, model, limit=None):
    """Return the images of `split` ('train' or 't10k') as one float tensor.

    Values are pixel/255.  Shape is [N, 784] for the mlp and [N, 1, 32, 32]
    for the dcgan, whose input is the 28x28 image zero-padded by 2 pixels.
    The padding is done once here, not per step, like any other fixed
    preprocessing of an in-memory dataset.
    """
    images = torch.from_numpy(fashion_mnist.read_idx_images(fashion_mnist.split_path(split)).copy())
    if limit is not None:
        images = images[:limit]
    x = images.float().div_(255.0)
    if model == "mlp":
        return x.reshape(-1, 28 * 28).contiguous()
    return F.pad(x.unsqueeze(1), (2, 2, 2, 2)).contiguous()


def make_targets(x, likelihood):
    """Reconstruction target for the decoder: the input itself (Bernoulli) or
    the 8-bit pixel value as a class index (categorical, [B, 32, 32])."""
    if likelihood == "bernoulli":
        return x
    return (x * 255.0).round_().long().squeeze(1)


def batches(data, batch_size, binarize, likelihood):
    """Endless stream of (input, target) training batches.

    Reshuffles every epoch and drops the last incomplete batch.  With dynamic
    binarization every batch is re-sampled as x ~ Bernoulli(pixel) each step.
    """
    n = data.shape[0]
    if n < batch_size:
        raise ValueError(f"{n} training images is fewer than one batch of {batch_size}")
    while True:
        perm = torch.randperm(n)
        for i in range(n // batch_size):
            x = data.index_select(0, perm[i * batch_size:(i + 1) * batch_size])
            if binarize == "dynamic":
                x = torch.bernoulli(x)
            yield x, make_targets(x, likelihood)


# ------------------------------------------------------------------------- models

class MLPVAE(nn.Module):
    """784-512-512-(mu, logvar) encoder and 32-512-512-784 Bernoulli decoder,
    PyTorch default initialisation."""

    def __init__(self, nz=32, hidden=512, nx=28 * 28):
        super().__init__()
        self.nz = nz
        self.encoder = nn.Sequential(
            nn.Linear(nx, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 2 * nz))
        self.decoder = nn.Sequential(
            nn.Linear(nz, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, nx))

    def encode(self, x):
        h = self.encoder(x)
        return h[:, :self.nz], h[:, self.nz:]

    def decode(self, z):
        return self.decoder(z)


def conv_transpose_as_conv(x, weight, bias, stride, padding):
    """ConvTranspose2d computed as an ordinary Conv2d.

    A transposed convolution equals a stride-1 convolution over the input with
    (stride-1) zeros inserted between pixels and (k-1-padding) zeros of border,
    using the kernel flipped spatially with in/out channels swapped.  Output
    size: (H-1)*stride + 1 + 2*(k-1-p) - k + 1 = (H-1)*stride - 2p + k, as for
    ConvTranspose2d without output_padding.  Dilation and border are written
    into one zero buffer so the whole thing is a single copy plus one conv.
    It does ~stride^2 more multiply-adds (most of them against zeros), but
    Debian's CPU ConvTranspose2d kernels are slow enough that this can win.
    """
    k = weight.shape[-1]
    border = k - 1 - padding
    b, c, h, w = x.shape
    span_h, span_w = (h - 1) * stride + 1, (w - 1) * stride + 1
    xd = x.new_zeros(b, c, span_h + 2 * border, span_w + 2 * border)
    xd[:, :, border:border + span_h:stride, border:border + span_w:stride] = x
    # ConvTranspose2d weight is [in, out, k, k]; Conv2d wants [out, in, k, k].
    w_conv = weight.flip(2, 3).transpose(0, 1).contiguous()
    return F.conv2d(xd, w_conv, bias)


class TransposedConv(nn.ConvTranspose2d):
    """nn.ConvTranspose2d whose forward can switch to conv_transpose_as_conv.

    Both paths share the same parameters, so the choice can be made (or
    changed) at any time without affecting initialisation or training state.
    """

    as_conv = False

    def forward(self, x):
        if self.as_conv:
            return conv_transpose_as_conv(x, self.weight, self.bias,
                                          self.stride[0], self.padding[0])
        return super().forward(x)


class DCGANVAE(nn.Module):
    """DCGAN-like VAE (Likelihood Regret paper) without BatchNorm, 32x32x1 input.

    Encoder 32->16->8->4 (32, 64, 128 channels), then two 4x4 valid-conv heads
    for mu and logvar ([B, nz, 1, 1]).  Decoder mirrors it with transposed
    convolutions 1->4->8->16->32 and ends in `out_channels` logits per pixel
    (1 for Bernoulli, 256 for categorical).
    """

    def __init__(self, nz=100, out_channels=1):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(64, 128, 4, 2, 1), nn.ReLU())
        self.mu_head = nn.Conv2d(128, nz, 4, 1, 0)
        self.logvar_head = nn.Conv2d(128, nz, 4, 1, 0)
        self.decoder = nn.Sequential(
            TransposedConv(nz, 128, 4, 1, 0), nn.ReLU(),
            TransposedConv(128, 64, 4, 2, 1), nn.ReLU(),
            TransposedConv(64, 32, 4, 2, 1), nn.ReLU(),
            TransposedConv(32, out_channels, 4, 2, 1))
        # DCGAN initialisation: N(0, 0.02) weights, zero biases.
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                nn.init.zeros_(m.bias)

    def set_convtranspose_as_conv(self, flag):
        for m in self.decoder:
            if isinstance(m, TransposedConv):
                m.as_conv = flag

    def encode(self, x):
        h = self.encoder(x)
        return self.mu_head(h).flatten(1), self.logvar_head(h).flatten(1)

    def decode(self, z):
        return self.decoder(z[:, :, None, None])


def build_model(args):
    if args.model == "mlp":
        return MLPVAE()
    return DCGANVAE(out_channels=1 if args.likelihood == "bernoulli" else 256)


# -------------------------------------------------------------------- objective

def reconstruction_nll(logits, target, likelihood):
    """-log p(x|z) per example, summed over pixels (nats)."""
    if likelihood == "bernoulli":
        nll = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    else:  # logits [B, 256, 32, 32], integer target [B, 32, 32]
        nll = F.cross_entropy(logits, target, reduction="none")
    return nll.flatten(1).sum(1)


def kl_standard_normal(mu, logvar):
    """Analytic KL(N(mu, exp(logvar)) || N(0, I)) per example."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


def negative_elbo(model, x, target, likelihood, beta=1.0, generator=None):
    """Per-example negative ELBO with one reparameterised sample of z."""
    mu, logvar = model.encode(x)
    eps = torch.randn(mu.shape, generator=generator)
    z = mu + torch.exp(0.5 * logvar) * eps
    logits = model.decode(z)
    return reconstruction_nll(logits, target, likelihood) + beta * kl_standard_normal(mu, logvar)


def train_step(model, optimizer, x, target, args):
    loss = negative_elbo(model, x, target, args.likelihood, args.beta).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


# ------------------------------------------------------------------- evaluation

@torch.no_grad()
def evaluate(model, x_test, args):
    """Test negative ELBO (1 sample) and IWAE NLL (K samples), both in nats,
    averaged over test images.  Noise comes from a fixed generator so repeated
    evaluations of the same model give the same numbers."""
    model.eval()
    gen = torch.Generator().manual_seed(4321)
    k_total, chunk = args.iwae_samples, args.iwae_chunk
    elbo_sum, iwae_sum = 0.0, 0.0
    for start in range(0, x_test.shape[0], args.eval_batch):
        x = x_test[start:start + args.eval_batch]
        target = make_targets(x, args.likelihood)
        b = x.shape[0]
        elbo_sum += negative_elbo(model, x, target, args.likelihood, args.beta, gen).sum().item()

        mu, logvar = model.encode(x)
        std = torch.exp(0.5 * logvar)
        log_w = []  # [k, b] pieces, log-sum-exp'ed over all K at the end
        for k0 in range(0, k_total, chunk):
            k = min(chunk, k_total - k0)
            eps = torch.randn((k,) + mu.shape, generator=gen)
            z = mu + std * eps  # [k, b, nz]
            log_px = -decode_nll(model, z.reshape(k * b, -1), target, k, args).reshape(k, b)
            # log N(z; 0, I) - log N(z; mu, sigma^2): the 2*pi terms cancel and
            # (z - mu) / sigma is just eps.
            log_pz_minus_qz = 0.5 * (eps.pow(2) - z.pow(2)).sum(-1) + 0.5 * logvar.sum(-1)
            log_w.append(log_px + log_pz_minus_qz)
        log_w = torch.cat(log_w, 0)
        iwae_sum += -(torch.logsumexp(log_w, 0) - math.log(k_total)).sum().item()
    model.train()
    n = x_test.shape[0]
    return elbo_sum / n, iwae_sum / n


def decode_nll(model, z, target, k, args):
    """-log p(x|z) for z = [k*b, nz] (sample-major), each row paired with the
    target of its image; decoded in slices of at most --eval-rows rows."""
    b = target.shape[0]
    tiled = target.expand((k,) + target.shape).reshape((k * b,) + target.shape[1:])
    out = []
    for r in range(0, k * b, args.eval_rows):
        logits = model.decode(z[r:r + args.eval_rows])
        out.append(reconstruction_nll(logits, tiled[r:r + args.eval_rows], args.likelihood))
    return torch.cat(out)


# ------------------------------------------------------------------ ConvTranspose

def max_convtranspose_difference(model, x, target, args):
    """Compare the native and as-conv decoder paths on one batch.

    Returns (largest absolute difference of the decoder output, largest
    relative difference of any decoder parameter gradient, relative to that
    gradient's largest entry).  Gradients are compared relatively because some
    are sums over ~10^5 terms (e.g. the last bias), where float32 summation
    order alone moves the absolute value by ~1e-2.
    """
    z = torch.randn(x.shape[0], 100, dtype=x.dtype)
    results = []
    for flag in (False, True):
        model.set_convtranspose_as_conv(flag)
        model.zero_grad(set_to_none=True)
        logits = model.decode(z)
        reconstruction_nll(logits, target, args.likelihood).mean().backward()
        grads = [p.grad.clone() for p in model.decoder.parameters()]
        results.append((logits.detach(), grads))
    model.zero_grad(set_to_none=True)
    (out_a, grads_a), (out_b, grads_b) = results
    out_diff = (out_a - out_b).abs().max().item()
    grad_rel = max(((a - b).abs().max() / a.abs().max()).item()
                   for a, b in zip(grads_a, grads_b))
    return out_diff, grad_rel


def time_step_variant(model, x, target, args, flag, repeats=3):
    """Median seconds of one forward+backward pass (no optimizer step, so the
    parameters are untouched) with the given ConvTranspose implementation."""
    model.set_convtranspose_as_conv(flag)
    times = []
    for i in range(repeats + 1):  # the first run is warm-up
        t0 = time.perf_counter()
        negative_elbo(model, x, target, args.likelihood, args.beta).mean().backward()
        if i > 0:
            times.append(time.perf_counter() - t0)
    model.zero_grad(set_to_none=True)
    return sorted(times)[len(times) // 2]


def choose_convtranspose(model, x, target, args):
    """Apply --convtranspose to a dcgan model; for 'auto' time both variants on
    a real batch and keep the faster.  The RNG state is restored afterwards so
    that 'auto' does not perturb the training run."""
    if args.model != "dcgan":
        return "n/a"
    if args.convtranspose != "auto":
        model.set_convtranspose_as_conv(args.convtranspose == "conv")
        return args.convtranspose
    rng = torch.get_rng_state()
    t_native = time_step_variant(model, x, target, args, False)
    t_conv = time_step_variant(model, x, target, args, True)
    torch.set_rng_state(rng)
    choice = "conv" if t_conv < t_native else "native"
    model.set_convtranspose_as_conv(choice == "conv")
    print(f"convtranspose auto: native {t_native * 1e3:.1f} ms/step, "
          f"as-conv {t_conv * 1e3:.1f} ms/step (fwd+bwd) -> using {choice}", flush=True)
    return choice


# ------------------------------------------------------------------------- modes

def run_throughput(args, model, optimizer, stream, convtranspose):
    for _ in range(args.warmup):
        x, target = next(stream)
        train_step(model, optimizer, x, target, args)
    t0 = time.perf_counter()
    for _ in range(args.steps):
        x, target = next(stream)  # batch slicing and binarization are timed too
        loss = train_step(model, optimizer, x, target, args)
    loss = loss.item()  # CPU: already computed, this just reads it
    seconds = time.perf_counter() - t0
    return {"model": args.model, "likelihood": args.likelihood,
            "examples_per_second": round(args.steps * args.batch / seconds, 1),
            "threads": args.threads, "convtranspose": convtranspose,
            "torch": torch.__version__, "binarize": args.binarize,
            "batch": args.batch, "steps": args.steps, "final_loss": round(loss, 3),
            "peak_resident_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10}


def run_train(args, model, optimizer, stream, convtranspose, n_train):
    steps_per_epoch = n_train // args.batch
    train_seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        total = torch.zeros(())
        for _ in range(steps_per_epoch):
            x, target = next(stream)
            total += train_step(model, optimizer, x, target, args)
        dt = time.perf_counter() - t0
        train_seconds += dt
        print(f"epoch {epoch:3d}  train neg-ELBO {total.item() / steps_per_epoch:9.3f}  "
              f"{dt:7.1f} s  {steps_per_epoch * args.batch / dt:8.0f} ex/s", flush=True)

    x_test = load_split("t10k", args.model, args.test_limit)
    if args.binarize == "dynamic":
        # One fixed binarisation of the test set, identical across evaluations.
        x_test = torch.bernoulli(x_test, generator=torch.Generator().manual_seed(1234))
    t0 = time.perf_counter()
    neg_elbo, iwae_nll = evaluate(model, x_test, args)
    eval_seconds = time.perf_counter() - t0
    return {"model": args.model, "likelihood": args.likelihood, "binarize": args.binarize,
            "test_neg_elbo": round(neg_elbo, 4), "test_iwae_nll": round(iwae_nll, 4),
            "iwae_samples": args.iwae_samples, "epochs": args.epochs,
            "seconds": round(train_seconds, 2), "eval_seconds": round(eval_seconds, 2),
            "examples_per_second": round(args.epochs * steps_per_epoch * args.batch
                                         / train_seconds, 1),
            "train_images": n_train, "test_images": x_test.shape[0], "lr": args.lr,
            "threads": args.threads, "convtranspose": convtranspose,
            "torch": torch.__version__}


def save_params(model, path):
    """The DCGAN VAE's parameters under VAEKit's names and PyTorch layouts (VAEKit fuses the
    two heads into one conv with mu's channels first)."""
    import h5py
    layers = {"encoder.conv1": model.encoder[0], "encoder.conv2": model.encoder[2],
              "encoder.conv3": model.encoder[4], "decoder.deconv1": model.decoder[0],
              "decoder.deconv2": model.decoder[2], "decoder.deconv3": model.decoder[4],
              "decoder.deconv4": model.decoder[6]}
    with h5py.File(path, "w", libver="latest") as f:
        for name, layer in layers.items():
            f[f"params/{name}.weight"] = layer.weight.detach().numpy()
            f[f"params/{name}.bias"] = layer.bias.detach().numpy()
        f["params/encoder.head.weight"] = torch.cat(
            [model.mu_head.weight, model.logvar_head.weight]).detach().numpy()
        f["params/encoder.head.bias"] = torch.cat(
            [model.mu_head.bias, model.logvar_head.bias]).detach().numpy()


def run_check(args, model, stream):
    """Native vs as-conv ConvTranspose2d, in float32 (what training uses) and
    float64 (where only exact mathematical equivalence gives ~1e-12)."""
    if args.model != "dcgan":
        raise SystemExit("--mode check compares the dcgan ConvTranspose2d paths")
    x, target = next(stream)
    result = {"model": args.model, "likelihood": args.likelihood}
    for name, dtype in (("float32", torch.float32), ("float64", torch.float64)):
        m = model.to(dtype)
        xt = x.to(dtype)
        tt = target.to(dtype) if args.likelihood == "bernoulli" else target
        out_diff, grad_rel = max_convtranspose_difference(m, xt, tt, args)
        result[f"{name}_max_abs_diff_output"] = out_diff
        result[f"{name}_max_rel_diff_grad"] = grad_rel
    model.float()
    result["ok"] = (result["float32_max_abs_diff_output"] < 1e-4
                    and result["float32_max_rel_diff_grad"] < 1e-3
                    and result["float64_max_rel_diff_grad"] < 1e-9)
    result["torch"] = torch.__version__
    return result


def main(args):
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    x_train = load_split("train", args.model, args.train_limit)
    model = build_model(args)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    stream = batches(x_train, args.batch, args.binarize, args.likelihood)

    if args.mode == "check":
        result = run_check(args, model, stream)
    else:
        # Pick the ConvTranspose path on a fixed first-of-data batch, outside
        # the training stream so the sequence of training batches is unchanged.
        probe = x_train[:args.batch]
        convtranspose = choose_convtranspose(model, probe, make_targets(probe, args.likelihood), args)
        if args.mode == "throughput":
            result = run_throughput(args, model, optimizer, stream, convtranspose)
        else:
            result = run_train(args, model, optimizer, stream, convtranspose, x_train.shape[0])
            if args.save_params:
                save_params(model, args.save_params)
    print(json.dumps(result), flush=True)
    return 0 if result.get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main(ARGS))
