"""JAX (XLA on CPU) reference of VAEKit's MLP VAE training throughput.

    .build/jax/bin/python bench/reference/jax_vae.py --steps 200 --warmup 10

The same model and step as VAEKit's configs/fashion-mnist-mlp.yaml and bench/reference/torch_vae.py:
784-512-512-(μ, log σ²) encoder, 32-512-512-784 Bernoulli decoder, ReLU, batch 128, dynamically
binarized Fashion-MNIST (x ~ Bernoulli(pixel) each step), one reparameterized draw, the summed
−ELBO averaged over the batch, Adam (lr 1e-3), PyTorch's default initialisation. The whole step
(binarization, forward, backward, Adam) is one jit-compiled function; batches are drawn on the
device from a shuffled permutation. Prints one JSON line with examples_per_second.

Needs `jax` from PyPI (CPU), e.g. `python3 -m venv .build/jax && .build/jax/bin/pip install jax`.
"""

import argparse
import json
import math
import os
import resource
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=200, help="timed steps")
    p.add_argument("--warmup", type=int, default=10, help="untimed steps (compilation included)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--latent", type=int, default=32)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=2, help="XLA CPU threads")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    # XLA reads its thread count when the backend starts, so before jax is imported.
    os.environ.setdefault(
        "XLA_FLAGS",
        f"--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={ARGS.threads}")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import fashion_mnist  # noqa: E402  (the IDX files, read with numpy)


def linear(key, fan_in, fan_out):
    """PyTorch's nn.Linear initialisation: U(−1/√fan_in, 1/√fan_in) for weight and bias."""
    bound = 1.0 / math.sqrt(fan_in)
    wkey, bkey = jax.random.split(key)
    return {"w": jax.random.uniform(wkey, (fan_in, fan_out), jnp.float32, -bound, bound),
            "b": jax.random.uniform(bkey, (fan_out,), jnp.float32, -bound, bound)}


def init(key, nx, hidden, nz):
    sizes = {"e1": (nx, hidden), "e2": (hidden, hidden), "e3": (hidden, 2 * nz),
             "d1": (nz, hidden), "d2": (hidden, hidden), "d3": (hidden, nx)}
    keys = jax.random.split(key, len(sizes))
    return {name: linear(k, *shape) for k, (name, shape) in zip(keys, sizes.items())}


def dense(p, x):
    return x @ p["w"] + p["b"]


def negative_elbo(params, x, eps):
    """Mean over the batch of the summed −ELBO: BCE(logits, x) + KL(q ‖ N(0, I))."""
    h = jax.nn.relu(dense(params["e2"], jax.nn.relu(dense(params["e1"], x))))
    stats = dense(params["e3"], h)
    nz = eps.shape[1]
    mu, logvar = stats[:, :nz], stats[:, nz:]
    z = mu + jnp.exp(0.5 * logvar) * eps
    g = jax.nn.relu(dense(params["d2"], jax.nn.relu(dense(params["d1"], z))))
    logits = dense(params["d3"], g)
    # −log p(x|z) for Bernoulli logits: softplus(l) − x·l, summed over pixels.
    reconstruction = jnp.sum(jax.nn.softplus(logits) - x * logits, axis=1)
    kl = 0.5 * jnp.sum(mu * mu + jnp.exp(logvar) - 1.0 - logvar, axis=1)
    return jnp.mean(reconstruction + kl)


def make_step(data, batch, nz, lr):
    beta1, beta2, epsilon = 0.9, 0.999, 1e-8
    grad = jax.value_and_grad(negative_elbo)

    @jax.jit
    def step(state, key):
        params, m, v, t, order, position = state
        key, binarize_key, noise_key, shuffle_key = jax.random.split(key, 4)
        # A new permutation when the epoch's batches are used up.
        n_batches = data.shape[0] // batch
        fresh = position >= n_batches
        order = jax.lax.cond(fresh, lambda: jax.random.permutation(shuffle_key, data.shape[0]), lambda: order)
        position = jnp.where(fresh, 0, position)
        indices = jax.lax.dynamic_slice(order, (position * batch,), (batch,))
        pixels = data[indices]
        x = jax.random.bernoulli(binarize_key, pixels).astype(jnp.float32)
        eps = jax.random.normal(noise_key, (batch, nz), jnp.float32)
        loss, g = grad(params, x, eps)
        t = t + 1
        m = jax.tree_util.tree_map(lambda a, b: beta1 * a + (1 - beta1) * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: beta2 * a + (1 - beta2) * b * b, v, g)
        correction = jnp.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        params = jax.tree_util.tree_map(
            lambda p, a, b: p - lr * correction * a / (jnp.sqrt(b) + epsilon), params, m, v)
        return (params, m, v, t, order, position + 1), key, loss

    return step


def main(args):
    images = fashion_mnist.read_idx_images(fashion_mnist.split_path("train"))
    data = jnp.asarray(images.reshape(images.shape[0], -1).astype(np.float32) / 255.0)
    key = jax.random.PRNGKey(args.seed)
    key, init_key, order_key = jax.random.split(key, 3)
    params = init(init_key, data.shape[1], args.hidden, args.latent)
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    state = (params, zeros, zeros, jnp.float32(0), jax.random.permutation(order_key, data.shape[0]), 0)
    step = make_step(data, args.batch, args.latent, args.lr)
    for _ in range(args.warmup):
        state, key, loss = step(state, key)
    loss.block_until_ready()
    start = time.perf_counter()
    for _ in range(args.steps):
        state, key, loss = step(state, key)
    loss = float(loss.block_until_ready())
    seconds = time.perf_counter() - start
    print(json.dumps({"model": "mlp", "examples_per_second": round(args.steps * args.batch / seconds, 1),
                      "threads": args.threads, "jax": jax.__version__, "batch": args.batch,
                      "steps": args.steps, "final_loss": round(loss, 3),
                      "peak_resident_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10}))


if __name__ == "__main__":
    main(ARGS)
