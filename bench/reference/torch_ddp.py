"""PyTorch DistributedDataParallel reference for VAEKit's data-parallel training.

The MLP VAE of torch_vae.py, global batch 128 split over the processes (gloo backend, one
OpenMP/BLAS thread each, processes started with torch.multiprocessing on this machine), dynamic
binarization, Adam. Reports training examples per second over the timed steps, measured on
rank 0 between two barriers. Run with /usr/bin/python3 (Debian's python3-torch):

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/reference/torch_ddp.py --processes 2
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_vae  # noqa: E402  (models, data and loss of the single-process reference)


class NegativeELBO(torch.nn.Module):
    """The training loss as one module, so that DistributedDataParallel sees one forward per
    step and all-reduces every parameter's gradient during backward."""

    def __init__(self):
        super().__init__()
        self.vae = torch_vae.MLPVAE()

    def forward(self, x):
        return torch_vae.negative_elbo(self.vae, x, x, "bernoulli").mean()


def worker(rank, args, port):
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=args.processes)
    torch.manual_seed(args.seed)  # DDP also broadcasts rank 0's parameters at construction
    loss_module = torch.nn.parallel.DistributedDataParallel(NegativeELBO())
    optimizer = torch.optim.Adam(loss_module.parameters(), lr=1e-3)
    data = torch_vae.load_split("train", "mlp")
    per_rank = args.batch // args.processes
    generator = torch.Generator().manual_seed(args.seed + rank)

    def step(index):
        # Each rank takes its share of the same seeded global batch.
        order = torch.randperm(data.shape[0], generator=torch.Generator().manual_seed(index))
        rows = order[:args.batch][rank * per_rank:(rank + 1) * per_rank]
        x = torch.bernoulli(data[rows], generator=generator)
        # The mean over this rank's share; DDP averages the gradients over ranks.
        loss = loss_module(x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for index in range(args.warmup):
        step(index)
    dist.barrier()
    start = time.perf_counter()
    for index in range(args.warmup, args.warmup + args.steps):
        step(index)
    dist.barrier()
    elapsed = time.perf_counter() - start
    if rank == 0:
        print(json.dumps({
            "model": "mlp", "backend": "gloo", "processes": args.processes, "threads_per_process": args.threads,
            "batch": args.batch, "steps": args.steps,
            "examples_per_second": round(args.steps * args.batch / elapsed, 1), "torch": torch.__version__}))
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=29533)
    args = parser.parse_args()
    mp.spawn(worker, args=(args, args.port), nprocs=args.processes, join=True)


if __name__ == "__main__":
    main()
