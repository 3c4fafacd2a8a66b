// A PNG encoder for 8-bit grayscale and RGB images (W3C PNG spec: signature, IHDR, IDAT with
// zlib-deflated scanlines each prefixed by filter type 0, IEND; CRC-32 over type and data).

import CZlib

/// An 8-bit image to write as PNG.
public struct PNGImage: Sendable {
    /// Width and height in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// 1 (grayscale) or 3 (RGB).
    public var channels: Int
    /// Row-major pixels, `channels` bytes each.
    public var pixels: [UInt8]

    /// An image; `pixels.count` must be width·height·channels.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "PNG channels must be 1 or 3")
        precondition(pixels.count == width * height * channels, "pixels do not fill \(width)×\(height)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The encoded file.
    public func encoded() -> [UInt8] {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]  // depth 8, color type, deflate, filter, no interlace
        PNGImage.appendChunk("IHDR", header, to: &file)
        let rowBytes = width * channels
        var raw = [UInt8]()
        raw.reserveCapacity(height * (rowBytes + 1))
        for row in 0..<height {
            raw.append(0)
            raw += pixels[(row * rowBytes)..<((row + 1) * rowBytes)]
        }
        var compressedSize = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        let status = compress2(&compressed, &compressedSize, raw, uLong(raw.count), 9)
        precondition(status == Z_OK, "zlib compress2 failed: \(status)")
        PNGImage.appendChunk("IDAT", Array(compressed.prefix(Int(compressedSize))), to: &file)
        PNGImage.appendChunk("IEND", [], to: &file)
        return file
    }

    /// Writes the PNG to `path` atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(encoded(), to: path)
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        file.appendBigEndian(UInt32(data.count))
        let typed = Array(type.utf8) + data
        file += typed
        let checksum = typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        file.appendBigEndian(UInt32(checksum))
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [
            UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF),
        ])
    }
}

/// Tiles `[N, C, H, W]` images with values in [0, 1] into a grid with `columns` columns and
/// a 2-pixel border; C must be 1 or 3.
public func imageGrid(_ images: [Float], count: Int, channels: Int, height: Int, width: Int, columns: Int)
    -> PNGImage
{
    let border = 2
    let rows = (count + columns - 1) / max(columns, 1)
    let gridWidth = columns * (width + border) + border
    let gridHeight = rows * (height + border) + border
    var pixels = [UInt8](repeating: 64, count: gridWidth * gridHeight * channels)
    for image in 0..<count {
        let (gridRow, gridColumn) = (image / columns, image % columns)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    let value = images[((image * channels + c) * height + y) * width + x]
                    let byte = UInt8(Swift.max(0, Swift.min(255, (value * 255).rounded())))
                    let py = border + gridRow * (height + border) + y
                    let px = border + gridColumn * (width + border) + x
                    pixels[(py * gridWidth + px) * channels + c] = byte
                }
            }
        }
    }
    return PNGImage(width: gridWidth, height: gridHeight, channels: channels, pixels: pixels)
}
