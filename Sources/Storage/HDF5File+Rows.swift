// Row ranges of Float32 datasets: a dataset of known shape is created first and filled, or read,
// a block of rows (along its first axis) at a time, so that a file larger than memory is written
// and read in bounded memory.

import CHDF5
import TensorCore

extension HDF5File {
    /// Creates a float dataset of `shape` (chunked by `chunk`), stored as Float32 or, with
    /// `half`, IEEE half precision, without writing values; rows are written from Float32.
    public func createFloats(_ name: String, shape: [Int], chunk: [Int]? = nil, half: Bool = false) throws {
        try writeDataset(
            name, type: half ? .float16 : .float32, shape: shape, chunk: chunk, compress: false, data: nil)
    }

    /// Writes `rows: [n, …]` into rows `first ..< first + n` of the Float32 dataset `name`.
    public func writeRows(_ name: String, _ rows: Tensor, at first: Int) throws {
        try withRows(
            name, first: first, count: rows.shape.first ?? 0,
            width: rows.count / max(rows.shape.first ?? 1, 1)
        ) {
            dataset, memory, file in
            try rows.withUnsafeBufferPointer { values in
                guard
                    H5Dwrite(
                        dataset, vaekit_h5t_native_float(), memory, file, vaekit_h5p_default(),
                        values.baseAddress) >= 0
                else {
                    throw StorageError.writeFailed(
                        path: path, object: "\(name) rows \(first)..<\(first + rows.shape[0])")
                }
            }
        }
    }

    /// Reads rows `range` of the float dataset `name` (Float32 or half) as Float32 `[range.count, …]`.
    public func readRows(_ name: String, _ range: Range<Int>) throws -> Tensor {
        let (shape, type) = try describe(name)
        guard type == .float32 || type == .float16, let rows = shape.first, range.lowerBound >= 0,
            range.upperBound <= rows
        else {
            throw StorageError.wrongShape(
                path: path, object: name, expected: "Float32 with at least \(range.upperBound) rows",
                found: shape)
        }
        let width = shape.dropFirst().reduce(1, *)
        var result = Tensor.zeros([range.count] + shape.dropFirst())
        try withRows(name, first: range.lowerBound, count: range.count, width: width) {
            dataset, memory, file in
            try result.withUnsafeMutableBufferPointer { values in
                guard
                    H5Dread(
                        dataset, vaekit_h5t_native_float(), memory, file, vaekit_h5p_default(),
                        values.baseAddress) >= 0
                else { throw StorageError.invalid(path: path, reason: "unreadable rows \(range) of \(name)") }
            }
        }
        return result
    }

    /// Calls `body` with the dataset, a memory space of `count × width` values and the file space
    /// with rows `first ..< first + count` selected.
    private func withRows(
        _ name: String, first: Int, count: Int, width: Int, _ body: (hid_t, hid_t, hid_t) throws -> Void
    ) throws {
        guard count > 0 else { return }
        guard exists(name) else { throw StorageError.missing(path: path, object: name) }
        let dataset = H5Dopen2(handle, name, vaekit_h5p_default())
        guard dataset >= 0 else { throw StorageError.missing(path: path, object: "dataset \(name)") }
        defer { H5Dclose(dataset) }
        let fileSpace = H5Dget_space(dataset)
        defer { H5Sclose(fileSpace) }
        let rank = Int(H5Sget_simple_extent_ndims(fileSpace))
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        H5Sget_simple_extent_dims(fileSpace, &dims, nil)
        guard rank >= 1, first + count <= Int(dims[0]), dims.dropFirst().reduce(1, { $0 * Int($1) }) == width
        else {
            throw StorageError.wrongShape(
                path: path, object: name, expected: "rows \(first)..<\(first + count) of width \(width)",
                found: dims.prefix(rank).map { Int($0) })
        }
        var start = [hsize_t](repeating: 0, count: rank)
        start[0] = hsize_t(first)
        var extent = dims
        extent[0] = hsize_t(count)
        guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &extent, nil) >= 0 else {
            throw StorageError.invalid(path: path, reason: "cannot select rows of \(name)")
        }
        let memorySpace = H5Screate_simple(Int32(rank), &extent, nil)
        defer { H5Sclose(memorySpace) }
        try body(dataset, memorySpace, fileSpace)
    }
}
