"""Read VAEKit run folders from Python.

    import vaekit
    run = vaekit.Run("runs/demo")
    run.metrics()            # DataFrame, one row per evaluation
    run.ood_metrics()        # AUROC, AUPRC, FPR at 80/95 % TPR per method and OOD set
    state = vaekit.load_state_dict(run.checkpoints()[-1][1])   # {name: torch.Tensor}

See `Run`, `InfluenceIndex`, `read_checkpoint`, `load_state_dict` and `write_state_dict`.
"""

from .checkpoint import CheckpointData, load_state_dict, read_checkpoint, write_state_dict
from .index import Block, InfluenceIndex, LayerFactors, Shard
from .run import Run

__version__ = "0.1.0"

__all__ = [
    "Block",
    "CheckpointData",
    "InfluenceIndex",
    "LayerFactors",
    "Run",
    "Shard",
    "load_state_dict",
    "read_checkpoint",
    "write_state_dict",
]
