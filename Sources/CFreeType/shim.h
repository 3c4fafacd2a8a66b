// FreeType 2 (pkg-config `freetype2`): glyph outlines rendered to anti-aliased bitmaps, for the
// generated digit images of `vaekit data prepare digits`.
#ifndef VAEKIT_CFREETYPE_SHIM_H
#define VAEKIT_CFREETYPE_SHIM_H
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H

// Swift does not import FreeType's function-like load flags; these are their values.
static const int vaekit_ft_load_outline = FT_LOAD_NO_BITMAP | FT_LOAD_NO_HINTING;
#endif
