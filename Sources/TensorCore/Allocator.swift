// Process-wide allocator settings for tensor workloads.

import CMalloc

/// Keeps tensor buffers on glibc's heap instead of fresh `mmap`s.
///
/// A training step allocates and frees the same large activation and gradient buffers every
/// step. Above glibc's mmap threshold (128 KiB at start) each one is a new mapping whose pages
/// fault in on first touch and are unmapped on free. No block is mapped on its own here (the
/// 256-way decoder's column buffers exceed any threshold: 0.5 GB at batch 128), and up to 1 GiB
/// of freed heap is kept, so freed buffers are reused. Call once at program start (the
/// `vaekit` command does).
public func configureAllocatorForTensors() {
    _ = vaekit_keep_large_blocks_on_heap(0, 1 << 30)
}

/// Returns memory freed on the heap to the system. With the trim threshold above, memory freed
/// once stays resident; call this after a phase whose temporaries will not recur (loading and
/// padding the datasets), so that they do not count in the peak of the work that follows — the
/// worker threads allocate from their own arenas and could not reuse it anyway.
public func releaseFreeHeapMemory() {
    _ = vaekit_release_free_heap()
}
