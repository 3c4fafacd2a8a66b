#!/usr/bin/env -S /usr/bin/python3
"""Replays VAEKit's Likelihood Regret refit in PyTorch on the same weights, images and noise.

Reads a VAEKit checkpoint of the DCGAN VAE (PyTorch layouts: /params/<name>) and a trace
written by `vaekit bench regret --trace FILE` (inputs, targets, the refit's epsilon at every
step, the IWAE epsilons, VAEKit's per-step losses and NLLs), then runs the official
compute_LR.py procedure on every traced image: a deep copy of the model, decoder frozen,
Adam(encoder, lr, betas (0.9, 0.999), weight_decay) for the traced number of steps of the
single-sample negative ELBO, IWAE before and after with the traced epsilons.  Because every
random draw is VAEKit's, the two loss trajectories must agree step by step up to float
round-off; the script prints the largest differences and one JSON line:

    /usr/bin/python3 bench/reference/torch_regret_replay.py CHECKPOINT TRACE [--json OUT]
"""

import argparse
import copy
import json
import math
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_vae  # noqa: E402  (the DCGAN VAE and its losses)


def load_model(path, likelihood):
    """The DCGAN VAE with VAEKit's parameters: the fused μ/log σ² head is split in two."""
    with h5py.File(path, "r") as f:
        params = {name: torch.from_numpy(np.array(f["params"][name])) for name in f["params"]}
    latent = params["encoder.head.weight"].shape[0] // 2
    model = torch_vae.DCGANVAE(nz=latent, out_channels=1 if likelihood == "bernoulli" else 256)
    names = {
        "encoder.conv1": model.encoder[0], "encoder.conv2": model.encoder[2],
        "encoder.conv3": model.encoder[4], "decoder.deconv1": model.decoder[0],
        "decoder.deconv2": model.decoder[2], "decoder.deconv3": model.decoder[4],
        "decoder.deconv4": model.decoder[6],
    }
    with torch.no_grad():
        for name, layer in names.items():
            layer.weight.copy_(params[f"{name}.weight"])
            layer.bias.copy_(params[f"{name}.bias"])
        for head, rows in ((model.mu_head, slice(0, latent)), (model.logvar_head, slice(latent, 2 * latent))):
            head.weight.copy_(params["encoder.head.weight"][rows])
            head.bias.copy_(params["encoder.head.bias"][rows])
    model.eval()
    return model


def reconstruction_nll(model, z, target, likelihood):
    logits = model.decode(z)
    return torch_vae.reconstruction_nll(logits, target.expand((z.shape[0],) + target.shape[1:]), likelihood)


@torch.no_grad()
def iwae_nll(model, x, target, eps, likelihood, chunk=100):
    """−log p̂(x) from the given ε [K, Z] (nats)."""
    mu, logvar = model.encode(x)
    std = torch.exp(0.5 * logvar)
    log_w = []
    for start in range(0, eps.shape[0], chunk):
        e = eps[start:start + chunk]
        z = mu + std * e
        log_px = -reconstruction_nll(model, z, target, likelihood)
        log_w.append(log_px + 0.5 * (e.pow(2) - z.pow(2)).sum(1) + 0.5 * logvar.sum())
    log_w = torch.cat(log_w)
    return -(torch.logsumexp(log_w, 0) - math.log(eps.shape[0])).item()


def replay(model, x, target, refit_eps, iwae_eps, likelihood, lr, weight_decay):
    before = iwae_nll(model, x, target, iwae_eps, likelihood)
    refit = copy.deepcopy(model)
    for p in refit.decoder.parameters():
        p.requires_grad_(False)
    encoder = [p for name, p in refit.named_parameters() if not name.startswith("decoder.")]
    optimizer = torch.optim.Adam(encoder, lr=lr, betas=(0.9, 0.999), weight_decay=weight_decay)
    losses = []
    for eps in refit_eps:
        mu, logvar = refit.encode(x)
        z = mu + torch.exp(0.5 * logvar) * eps[None]
        loss = (reconstruction_nll(refit, z, target, likelihood)
                + torch_vae.kl_standard_normal(mu, logvar)).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    after = iwae_nll(refit, x, target, iwae_eps, likelihood)
    return before, after, losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("trace")
    parser.add_argument("--json", help="also write the per-image results here")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless every step's loss agrees within 1e-3 (relative), both "
                             "NLLs within 1e-3 (relative) and the mean regret within its standard error "
                             "(Adam amplifies float round-off over the steps: 4e-4 seen after 100)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with h5py.File(args.trace, "r") as f:
        likelihood = f.attrs["likelihood"]
        likelihood = likelihood.decode() if isinstance(likelihood, bytes) else likelihood
        lr, weight_decay = float(f.attrs["learning_rate"]), float(f.attrs["weight_decay"])
        inputs = torch.from_numpy(np.array(f["inputs"]))
        classes = np.array(f["classes"]) if "classes" in f else None
        refit_noise = torch.from_numpy(np.array(f["refit_noise"]))
        iwae_noise = torch.from_numpy(np.array(f["iwae_noise"]))
        vaekit_loss = np.array(f["refit_loss"], dtype=np.float64)
        vaekit_before = np.array(f["nll_before"], dtype=np.float64)
        vaekit_after = np.array(f["nll_after"], dtype=np.float64)
    torch_vae.LIKELIHOOD = likelihood
    kind = "bernoulli" if likelihood == "bernoulli" else "categorical"
    model = load_model(args.checkpoint, kind)
    rows = []
    for i in range(inputs.shape[0]):
        x = inputs[i:i + 1]
        if kind == "bernoulli":
            target = x
        else:
            target = torch.from_numpy(classes[i].astype(np.int64)).reshape(1, x.shape[2], x.shape[3])
        before, after, losses = replay(model, x, target, refit_noise[i], iwae_noise[i], kind, lr, weight_decay)
        losses = np.array(losses)
        rows.append({
            "image": i, "torch_before": before, "torch_after": after, "torch_regret": before - after,
            "vaekit_before": vaekit_before[i], "vaekit_after": vaekit_after[i],
            "vaekit_regret": vaekit_before[i] - vaekit_after[i],
            "loss_first": [losses[0], vaekit_loss[i, 0]], "loss_last": [losses[-1], vaekit_loss[i, -1]],
            "max_relative_loss_difference": float(np.max(np.abs(losses - vaekit_loss[i]) / np.abs(losses))),
        })
        r = rows[-1]
        print(f"image {i}: regret torch {r['torch_regret']:9.3f} vaekit {r['vaekit_regret']:9.3f}; "
              f"NLL before {before:10.2f} / {vaekit_before[i]:10.2f}, after {after:10.2f} / "
              f"{vaekit_after[i]:10.2f}; loss step 1 {losses[0]:.2f} / {vaekit_loss[i, 0]:.2f}, "
              f"step {len(losses)} {losses[-1]:.2f} / {vaekit_loss[i, -1]:.2f}; "
              f"max |Δloss|/loss {r['max_relative_loss_difference']:.2g}", flush=True)
    regrets = np.array([[r["torch_regret"], r["vaekit_regret"]] for r in rows])
    summary = {
        "images": len(rows), "likelihood": likelihood,
        "mean_regret_torch": float(regrets[:, 0].mean()), "mean_regret_vaekit": float(regrets[:, 1].mean()),
        "max_relative_loss_difference": max(r["max_relative_loss_difference"] for r in rows),
        "max_before_difference": max(abs(r["torch_before"] - r["vaekit_before"]) for r in rows),
        "max_after_difference": max(abs(r["torch_after"] - r["vaekit_after"]) for r in rows),
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": summary, "images": rows}, f, indent=1)
    se = float(regrets[:, 0].std(ddof=1) / math.sqrt(len(rows))) if len(rows) > 1 else float("inf")
    summary["standard_error_torch"] = se
    print(json.dumps(summary))
    if args.check:
        nll = max(max(abs(r["torch_before"] - r["vaekit_before"]), abs(r["torch_after"] - r["vaekit_after"]))
                  / abs(r["torch_before"]) for r in rows)
        ok = (summary["max_relative_loss_difference"] <= 1e-3 and nll <= 1e-3
              and abs(summary["mean_regret_torch"] - summary["mean_regret_vaekit"]) <= se)
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
