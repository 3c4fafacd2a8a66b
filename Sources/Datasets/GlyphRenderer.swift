// One character of one font file drawn by FreeType into an anti-aliased grey bitmap, with an
// affine map and a stroke widening applied to the outline before it is rasterized.

import CFreeType

/// FreeType with one font face open. Not thread-safe: one renderer per thread.
final class GlyphRenderer {
    private var library: FT_Library?
    private var face: FT_Face?
    /// The font file.
    let path: String

    /// Opens the font at `path`, drawn at `pixelSize` pixels per em.
    init(path: String, pixelSize: Int) throws {
        self.path = path
        guard FT_Init_FreeType(&library) == 0, let library else {
            throw DatasetError.unreadable(path: path, reason: "FreeType could not be initialized")
        }
        guard FT_New_Face(library, path, 0, &face) == 0, let face else {
            throw DatasetError.unreadable(path: path, reason: "not a font FreeType can read")
        }
        guard FT_Set_Pixel_Sizes(face, 0, FT_UInt(pixelSize)) == 0 else {
            throw DatasetError.unreadable(
                path: path, reason: "the font cannot be drawn at \(pixelSize) pixels")
        }
    }

    deinit {
        if let face { FT_Done_Face(face) }
        if let library { FT_Done_FreeType(library) }
    }

    /// The glyph of `character` mapped by the 2×2 matrix `m` (row-major, y up) and widened by
    /// `embolden` pixels: its coverage bytes, `rows` × `width`, row 0 at the top.
    func render(_ character: Unicode.Scalar, matrix m: [Double], embolden: Double) throws -> (
        pixels: [UInt8], rows: Int, width: Int
    ) {
        guard let face else { throw DatasetError.unreadable(path: path, reason: "no font face") }
        let fixed = { (value: Double) in FT_Fixed((value * 65_536).rounded()) }
        var transform = FT_Matrix(xx: fixed(m[0]), xy: fixed(m[1]), yx: fixed(m[2]), yy: fixed(m[3]))
        FT_Set_Transform(face, &transform, nil)
        let index = FT_Get_Char_Index(face, FT_ULong(character.value))
        guard index != 0 else {
            throw DatasetError.unreadable(path: path, reason: "the font has no glyph for \"\(character)\"")
        }
        guard FT_Load_Glyph(face, index, FT_Int32(vaekit_ft_load_outline)) == 0, let slot = face.pointee.glyph
        else {
            throw DatasetError.unreadable(path: path, reason: "glyph \"\(character)\" could not be loaded")
        }
        guard slot.pointee.format == FT_GLYPH_FORMAT_OUTLINE else {
            throw DatasetError.unreadable(path: path, reason: "glyph \"\(character)\" is not an outline")
        }
        // Strength in 26.6 fixed point: each side of the stroke moves by half of it.
        FT_Outline_Embolden(&slot.pointee.outline, FT_Pos((embolden * 64).rounded()))
        guard FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL) == 0 else {
            throw DatasetError.unreadable(
                path: path, reason: "glyph \"\(character)\" could not be rasterized")
        }
        let bitmap = slot.pointee.bitmap
        let (rows, width, pitch) = (Int(bitmap.rows), Int(bitmap.width), Int(bitmap.pitch))
        guard rows > 0, width > 0, let buffer = bitmap.buffer else {
            throw DatasetError.unreadable(path: path, reason: "glyph \"\(character)\" is empty")
        }
        var pixels = [UInt8](repeating: 0, count: rows * width)
        for row in 0..<rows {
            // A negative pitch stores the rows bottom-up.
            let start = pitch >= 0 ? row * pitch : (rows - 1 - row) * -pitch
            for column in 0..<width { pixels[row * width + column] = buffer[start + column] }
        }
        return (pixels, rows, width)
    }
}
