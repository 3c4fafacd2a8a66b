// CBLAS from Debian's OpenBLAS (pkg-config `openblas`). The enum constants import as-is;
// the getters below keep call sites short and give the thread-count API one home.
#ifndef VAEKIT_COPENBLAS_SHIM_H
#define VAEKIT_COPENBLAS_SHIM_H
#include <cblas.h>

static inline enum CBLAS_ORDER vaekit_cblas_row_major(void) { return CblasRowMajor; }
static inline enum CBLAS_TRANSPOSE vaekit_cblas_no_trans(void) { return CblasNoTrans; }
static inline enum CBLAS_TRANSPOSE vaekit_cblas_trans(void) { return CblasTrans; }
static inline void vaekit_blas_set_threads(int count) { openblas_set_num_threads(count); }
static inline int vaekit_blas_threads(void) { return openblas_get_num_threads(); }
static inline const char *vaekit_blas_corename(void) { return openblas_get_corename(); }
#endif
