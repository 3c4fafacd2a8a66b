// The `Training` target: its contents arrive with the issue that builds it (see ../shared/DESIGN.md).
import Runs

/// Namespace marker so the target compiles while it is empty.
enum TrainingTarget {}
