// HDF5 serial (pkg-config `hdf5`). H5T_NATIVE_FLOAT and friends are macros that call H5open()
// and read a global id; H5F_ACC_TRUNC and H5P_DEFAULT are macros too. Swift cannot import them.
#ifndef VAEKIT_CHDF5_SHIM_H
#define VAEKIT_CHDF5_SHIM_H
#include <hdf5.h>

static inline hid_t vaekit_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t vaekit_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t vaekit_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t vaekit_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t vaekit_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t vaekit_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t vaekit_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t vaekit_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t vaekit_h5s_all(void) { return H5S_ALL; }
static inline unsigned vaekit_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned vaekit_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned vaekit_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned vaekit_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline size_t vaekit_h5t_variable(void) { return H5T_VARIABLE; }
static inline hid_t vaekit_h5e_default(void) { return H5E_DEFAULT; }
static inline hid_t vaekit_h5s_scalar_space(void) { return H5Screate(H5S_SCALAR); }
// IEEE half precision, little endian (as h5py builds it; h5py and numpy read it as float16).
// HDF5 converts Float32 memory buffers to and from it. The caller closes the type.
static inline hid_t vaekit_h5t_ieee_f16le(void) {
    hid_t type = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(type, 15, 10, 5, 0, 10);
    H5Tset_size(type, 2);
    H5Tset_ebias(type, 15);
    return type;
}
// File access properties with the 1.10 format as both bounds: superblock version 3 and version 2
// object headers, so every metadata block carries a checksum that libhdf5 verifies on reading.
// The caller closes the list.
static inline hid_t vaekit_h5p_file_access_checksummed(void) {
    hid_t list = H5Pcreate(H5P_FILE_ACCESS);
    if (list >= 0) H5Pset_libver_bounds(list, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    return list;
}
// glibc's memmem (declared only under _GNU_SOURCE): the fast search for global heap signatures.
extern void *memmem(const void *haystack, size_t length, const void *needle, size_t needle_length);
// Turns off HDF5's printing of error stacks (VAEKit reports errors itself) and, the first time,
// its clean-up at exit: after a write failed on a full disk, libhdf5 1.10's exit handler crashed
// closing the half-closed file (H5F__close_cb). VAEKit closes and flushes every file it writes
// before renaming it into place, so nothing is left for that handler to do.
static inline void vaekit_h5_silence_errors(void) {
    static int initialized = 0;
    if (!initialized) { H5dont_atexit(); initialized = 1; }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
#endif
