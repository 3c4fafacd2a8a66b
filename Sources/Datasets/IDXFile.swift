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

    /// The largest data an IDX file may declare: 2³⁴ bytes (16 GiB).
    public static let maximumBytes = 1 << 34

    /// Reads `path` (gzip-compressed or plain).
    public static func read(_ path: String) throws -> IDXFile {
        guard let file = gzopen(path, "rb") else {
            throw DatasetError.unreadable(path: path, reason: "no such file or not readable")
        }
        defer { gzclose(file) }
        // zlib's message for a failed read (a bad CRC, a missing trailer, corrupt data).
        func zlibError() -> String? {
            var code: Int32 = 0
            guard let message = gzerror(file, &code), code != Z_OK, code != Z_STREAM_END else { return nil }
            return String(cString: message)
        }
        // Reads `count` bytes, growing the buffer only as data arrive: a header claiming more than
        // the file holds costs what the file holds, not what it claims.
        func readExactly(_ count: Int) throws -> [UInt8] {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(min(count, 1 << 24))
            var chunk = [UInt8](repeating: 0, count: min(count, 1 << 24))
            while buffer.count < count {
                let wanted = min(count - buffer.count, chunk.count)
                let result = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(wanted)) }
                guard result > 0 else {
                    let reason = result < 0 ? zlibError().map { "corrupt (\($0))" } : nil
                    throw DatasetError.badIDX(
                        path: path,
                        reason: reason
                            ?? "truncated: the header promises \(count) bytes, the file holds \(buffer.count)"
                    )
                }
                buffer.append(contentsOf: chunk[0..<Int(result)])
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
        // Extents are < 2³² each; their product can overflow Int: multiply with a check.
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= IDXFile.maximumBytes else {
                throw DatasetError.badIDX(
                    path: path, reason: "implausible shape \(shape) (more than \(IDXFile.maximumBytes) bytes)"
                )
            }
            count = product
        }
        let bytes = try readExactly(count)
        var extra: UInt8 = 0
        let tail = gzread(file, &extra, 1)
        if tail > 0 {
            throw DatasetError.badIDX(path: path, reason: "trailing bytes after \(shape)")
        }
        // At the end zlib checks the gzip trailer (CRC and length); a missing trailer reads as the
        // end of the file with an error set, not as a failed read.
        if let message = zlibError() {
            throw DatasetError.badIDX(path: path, reason: "corrupt at the end of the data (\(message))")
        }
        return IDXFile(shape: shape, bytes: bytes)
    }
}
