#!/usr/bin/env -S /usr/bin/python3
"""PyTorch reference for per-example gradient throughput of the MLP VAE.

Measures examples per second whose full per-example gradient (every parameter
of torch_vae.MLPVAE, 784-512-512-(2x32) / 32-512-512-784) is produced, for the
loss of one example

    L(x) = 1/S * sum_s [ -log p(x | z_s) + beta * KL(q(z|x) || N(0, I)) ],
    z_s = mu(x) + sigma(x) * eps_s,   eps_s ~ N(0, I_32),   beta = 1,

i.e. the beta-ELBO averaged over S reparameterization draws.  As on the Swift
side (`vaekit bench gradients`), the example is replicated S times and the S
rows go through the whole model, encoder included (--encode once encodes a
single row instead: the same gradient for fewer FLOPs).  Input and target are
the example binarized once with a fixed generator seed.

Methods
  vmap  per-sample gradients with vmap(grad(loss)) over batches of --batch
        examples: torch.func (functional_call) where it exists, otherwise the
        separate functorch package (make_functional), as in Debian's torch 1.13.
  loop  one autograd backward pass per example (batch of one example, S rows).
  auto  vmap if either API imports, otherwise loop (default).

Run with Debian's system Python (it has python3-torch; the pyenv python on PATH
does not):

    /usr/bin/python3 bench/reference/torch_per_example.py --method auto
    /usr/bin/python3 bench/reference/torch_per_example.py --check

OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS=--threads are set (setdefault)
before torch is imported; see torch_vae.py for why.  Prints one final JSON line.
"""

import argparse
import json
import os
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--method", choices=["auto", "vmap", "loop"], default="auto")
    p.add_argument("--examples", type=int, default=512, help="timed examples")
    p.add_argument("--warmup", type=int, default=64, help="untimed examples processed first")
    p.add_argument("--samples", type=int, default=16, help="reparameterization draws S per example")
    p.add_argument("--batch", type=int, default=64, help="examples per vmap call")
    p.add_argument("--beta", type=float, default=1.0, help="KL weight")
    p.add_argument("--encode", choices=["repeat", "once"], default="repeat",
                   help="repeat: encoder sees the example S times (as the Swift side); "
                        "once: encode one row and broadcast mu/logvar over the draws")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1, help="model initialisation and eps draws")
    p.add_argument("--binarize-seed", type=int, default=1234,
                   help="seed of the one fixed binarization of the examples")
    p.add_argument("--check", action="store_true",
                   help="compare vmap and loop per-example gradients on 3 examples and exit")
    return p.parse_args(argv)


# Thread settings must be in the environment before torch is loaded.
ARGS = parse_args() if __name__ == "__main__" else None
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if ARGS is not None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.threads))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_vae  # noqa: E402  (model, data and KL of the training reference)

LATENT = 32


# ---------------------------------------------------------------- per-example loss

class PerExampleLoss(nn.Module):
    """The MLP VAE wrapped so that forward() is the loss of ONE example.

    Takes an unbatched example x [784], its target [784] and its draws
    eps [S, 32], and returns a scalar.  Written for a single example so that
    the same module serves the autograd loop directly and vmap(grad(...))
    over a batch of examples.
    """

    def __init__(self, beta, encode):
        super().__init__()
        self.vae = torch_vae.MLPVAE(nz=LATENT)
        self.beta = beta
        self.encode_once = encode == "once"

    def forward(self, x, target, eps):
        s = eps.shape[0]
        rows = 1 if self.encode_once else s
        # The example replicated as `rows` identical rows (a view, no copy).
        mu, logvar = self.vae.encode(x.unsqueeze(0).expand(rows, -1))
        z = mu + torch.exp(0.5 * logvar) * eps  # [S, 32]; broadcasts when rows == 1
        logits = self.vae.decode(z)  # [S, 784]
        # -log Bernoulli(target | sigmoid(logits)) in the stable form that
        # binary_cross_entropy_with_logits uses, spelled out with elementwise
        # ops that functorch's vmap batches natively.
        nll = (logits.clamp(min=0) - logits * target + torch.log1p(torch.exp(-logits.abs()))).sum(1)
        kl = torch_vae.kl_standard_normal(mu, logvar)  # [rows]
        # Mean over the S draws of (reconstruction + beta * KL); with one
        # encoded row the KL term is the same for every draw.
        return nll.mean() + self.beta * kl.mean()


# --------------------------------------------------------------- gradient methods

def vmap_api():
    """Name of the available per-sample-gradient API, or None."""
    try:
        import torch.func  # noqa: F401  (torch >= 2.0)
        return "torch.func"
    except ImportError:
        pass
    try:
        import functorch  # noqa: F401  (torch 1.13's separate package)
        return "functorch"
    except ImportError:
        return None


def make_vmap_gradients(module, api):
    """Return f(x [B,784], target [B,784], eps [B,S,32]) -> tuple of per-example
    gradients, one [B, *p.shape] tensor per parameter in module.parameters()
    order."""
    # x, target and eps are batched along dim 0; the parameters are shared.
    in_dims = (None, 0, 0, 0)
    if api == "torch.func":
        from torch.func import functional_call, grad, vmap
        names = [n for n, _ in module.named_parameters()]
        params = {n: p.detach() for n, p in module.named_parameters()}

        def loss(p, x, target, eps):
            return functional_call(module, p, (x, target, eps))

        per_example = vmap(grad(loss), in_dims=in_dims)

        def gradients(x, target, eps):
            g = per_example(params, x, target, eps)
            return tuple(g[n] for n in names)
        return gradients

    import functorch
    # make_functional returns a stateless copy of the module plus its
    # parameters, in module.parameters() order.
    fmodel, params = functorch.make_functional(module)
    params = tuple(p.detach() for p in params)

    def loss(p, x, target, eps):
        return fmodel(p, x, target, eps)

    per_example = functorch.vmap(functorch.grad(loss), in_dims=in_dims)

    def gradients(x, target, eps):
        return per_example(params, x, target, eps)
    return gradients


def make_loop_gradients(module):
    """Same signature as make_vmap_gradients' result, but one autograd
    backward pass per example.  Returns a list (one per example) of gradient
    tuples: each example's gradient is produced and handed on as is, not
    copied into a batched buffer."""
    params = tuple(module.parameters())

    def gradients(x, target, eps):
        out = []
        for i in range(x.shape[0]):
            loss = module(x[i], target[i], eps[i])
            out.append(torch.autograd.grad(loss, params))
        return out
    return gradients


# ------------------------------------------------------------------------ driver

def load_examples(n, seed):
    """The first n Fashion-MNIST training images, binarized once with a fixed
    generator; the binarized image is both input and target."""
    x = torch_vae.load_split("train", "mlp", limit=n)
    return torch.bernoulli(x, generator=torch.Generator().manual_seed(seed))


def draw_eps(generator, b, s):
    return torch.randn(b, s, LATENT, generator=generator)


def run_examples(gradients, data, start, count, batch, samples, generator):
    """Per-example gradients of data[start:start+count] in batches of `batch`;
    the eps draws of each batch are made (and timed) here too."""
    for b0 in range(start, start + count, batch):
        x = data[b0:min(b0 + batch, start + count)]
        eps = draw_eps(generator, x.shape[0], samples)
        gradients(x, x, eps)


def run_check(args, module, api):
    """vmap vs loop per-example gradients on 3 examples with identical eps."""
    if api is None:
        raise SystemExit("--check needs torch.func or functorch")
    data = load_examples(3, args.binarize_seed)
    eps = draw_eps(torch.Generator().manual_seed(args.seed), 3, args.samples)
    batched = make_vmap_gradients(module, api)(data, data, eps)
    looped = make_loop_gradients(module)(data, data, eps)
    max_abs, max_rel = 0.0, 0.0
    for k, g in enumerate(batched):
        for i in range(data.shape[0]):
            ref = looped[i][k]
            diff = (g[i] - ref).abs().max().item()
            max_abs = max(max_abs, diff)
            # Relative to the largest entry of that parameter's gradient.
            max_rel = max(max_rel, diff / max(ref.abs().max().item(), 1e-30))
    print(f"check: vmap ({api}) vs loop on 3 examples, S={args.samples}: "
          f"max abs diff {max_abs:.3e}, max rel diff {max_rel:.3e}", flush=True)
    ok = max_rel < 1e-4
    return {"check": "vmap_vs_loop", "api": api, "examples": 3, "samples": args.samples,
            "encode": args.encode, "max_abs_diff": max_abs, "max_rel_diff": max_rel,
            "ok": ok, "torch": torch.__version__}


def main(args):
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    module = PerExampleLoss(args.beta, args.encode)
    n_params = sum(p.numel() for p in module.parameters())
    api = vmap_api()

    if args.check:
        result = run_check(args, module, api)
        print(json.dumps(result), flush=True)
        return 0 if result["ok"] else 1

    method = args.method
    if method == "auto":
        method = "vmap" if api is not None else "loop"
        print(f"method auto: {'vmap via ' + api if api else 'no vmap API, using loop'}", flush=True)
    if method == "vmap":
        if api is None:
            raise SystemExit("--method vmap needs torch.func or functorch")
        gradients = make_vmap_gradients(module, api)
    else:
        gradients = make_loop_gradients(module)

    data = load_examples(args.warmup + args.examples, args.binarize_seed)
    generator = torch.Generator().manual_seed(args.seed)
    run_examples(gradients, data, 0, args.warmup, args.batch, args.samples, generator)
    t0 = time.perf_counter()
    run_examples(gradients, data, args.warmup, args.examples, args.batch, args.samples, generator)
    seconds = time.perf_counter() - t0

    result = {"method": method, "api": api if method == "vmap" else "autograd",
              "examples_per_second": round(args.examples / seconds, 2),
              "samples": args.samples, "batch": args.batch, "threads": args.threads,
              "torch": torch.__version__, "parameters": n_params,
              "examples": args.examples, "encode": args.encode}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
