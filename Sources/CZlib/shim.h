// zlib (pkg-config `zlib`): gzip reading for IDX files and deflate/crc32 for PNG images.
#ifndef VAEKIT_CZLIB_SHIM_H
#define VAEKIT_CZLIB_SHIM_H
#include <zlib.h>
#endif
