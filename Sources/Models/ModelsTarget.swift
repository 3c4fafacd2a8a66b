// The `Models` target: its contents arrive with the issue that builds it (see ../shared/DESIGN.md).
import NN

/// Namespace marker so the target compiles while it is empty.
enum ModelsTarget {}
