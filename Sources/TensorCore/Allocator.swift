// Process-wide allocator settings for tensor workloads.

import CMalloc

/// Keeps tensor buffers on glibc's heap instead of fresh `mmap`s.
///
/// A training step allocates and frees the same large activation and gradient buffers every
/// step. Above glibc's mmap threshold (128 KiB at start) each one is a new mapping whose pages
/// fault in on first touch and are unmapped on free. Raising the mmap and trim thresholds makes
/// freed buffers reusable. Call once at program start (the `vaekit` command does).
public func configureAllocatorForTensors() {
    _ = vaekit_keep_large_blocks_on_heap(256 << 20, 1 << 30)
}
