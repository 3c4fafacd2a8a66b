// glibc's malloc tuning (malloc.h is not part of Swift's Glibc module).
#ifndef VAEKIT_CMALLOC_SHIM_H
#define VAEKIT_CMALLOC_SHIM_H
#include <malloc.h>

// Raises the mmap and trim thresholds, or with mmapThreshold 0 never maps blocks separately;
// returns 1 when both settings were accepted.
static inline int vaekit_keep_large_blocks_on_heap(int mmapThreshold, int trimThreshold) {
    int mapped = mmapThreshold > 0 ? mallopt(M_MMAP_THRESHOLD, mmapThreshold) : mallopt(M_MMAP_MAX, 0);
    return mapped && mallopt(M_TRIM_THRESHOLD, trimThreshold);
}

// Returns the heap's free memory to the system (glibc's malloc_trim); 1 when some was.
static inline int vaekit_release_free_heap(void) { return malloc_trim(0); }
#endif
