// The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a magic number 0x0000TTDD (type TT,
// DD dimensions), DD big-endian uint32 extents, then the data. Read through zlib's gz* API,
// which reads gzip-compressed and plain files alike.

import CZlib

/// The contents of an unsigned-byte IDX file.
public struct IDXFile {
    /// Extents, e.g. `[60000, 28, 28]` for images or `[60000]` for labels.
    public var shape: [Int]
    /// Row-major bytes.
    public var bytes: [UInt8]

    /// Reads `path` (gzip-compressed or plain).
    public static func read(_ path: String) throws -> IDXFile {
        guard let file = gzopen(path, "rb") else {
            throw DatasetError.unreadable(path: path, reason: "no such file or not readable")
        }
        defer { gzclose(file) }
        func readExactly(_ count: Int) throws -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let chunk = min(count - filled, 1 << 30)
                let result = buffer.withUnsafeMutableBytes {
                    gzread(file, $0.baseAddress.map { $0 + filled }, UInt32(chunk))
                }
                guard result > 0 else {
                    throw DatasetError.badIDX(
                        path: path, reason: "truncated: expected \(count) bytes, got \(filled)")
                }
                filled += Int(result)
            }
            return buffer
        }
        let magic = try readExactly(4)
        guard magic[0] == 0, magic[1] == 0 else {
            throw DatasetError.badIDX(path: path, reason: "magic \(magic) does not start with two zero bytes")
        }
        guard magic[2] == 0x08 else {
            throw DatasetError.badIDX(
                path: path,
                reason:
                    "element type 0x\(String(magic[2], radix: 16)); only unsigned bytes (0x08) are supported")
        }
        let rank = Int(magic[3])
        guard rank >= 1 && rank <= 4 else {
            throw DatasetError.badIDX(path: path, reason: "\(rank) dimensions")
        }
        let header = try readExactly(4 * rank)
        let shape = (0..<rank).map { axis in
            header[(4 * axis)..<(4 * axis + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        let count = shape.reduce(1, *)
        guard count <= 1 << 34 else {
            throw DatasetError.badIDX(path: path, reason: "implausible shape \(shape)")
        }
        let bytes = try readExactly(count)
        var extra: UInt8 = 0
        if gzread(file, &extra, 1) > 0 {
            throw DatasetError.badIDX(path: path, reason: "trailing bytes after \(shape)")
        }
        return IDXFile(shape: shape, bytes: bytes)
    }
}
