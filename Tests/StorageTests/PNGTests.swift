// The PNG encoder: structure, CRCs, and pixels recovered by inflating the IDAT stream.

import CZlib
import Storage
import Testing

@Suite struct PNGTests {
    @Test func encodesDecodablePNG() {
        let pixels = (0..<(5 * 3)).map { UInt8($0 * 17) }
        let bytes = PNGImage(width: 5, height: 3, channels: 1, pixels: pixels).encoded()
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // Walk the chunks, checking each CRC, and collect IDAT.
        var offset = 8
        var types: [String] = []
        var compressed: [UInt8] = []
        while offset < bytes.count {
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = Array(bytes[(offset + 4)..<(offset + 8 + length)])
            let stored = bytes[(offset + 8 + length)..<(offset + 12 + length)].reduce(0) {
                $0 << 8 | UInt32($1)
            }
            let computed = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            #expect(stored == computed, "\(type) CRC")
            if type == "IDAT" { compressed += body.dropFirst(4) }
            types.append(type)
            offset += 12 + length
        }
        #expect(types == ["IHDR", "IDAT", "IEND"])
        var raw = [UInt8](repeating: 0, count: 3 * 6)
        var rawLength = uLong(raw.count)
        #expect(uncompress(&raw, &rawLength, compressed, uLong(compressed.count)) == Z_OK)
        // Each scanline: filter byte 0, then the row.
        for row in 0..<3 {
            #expect(raw[row * 6] == 0)
            #expect(Array(raw[(row * 6 + 1)..<(row * 6 + 6)]) == Array(pixels[(row * 5)..<(row * 5 + 5)]))
        }
    }
}
