// One-dimensional datasets of UTF-8 strings (a dataset's class names): written as
// variable-length strings, which h5py reads with `.asstr()`; read from variable- or fixed-length
// strings, with the count and each string's length bounded before anything is kept.

import CHDF5
import Foundation

extension HDF5File {
    /// The most strings that `readStrings` accepts.
    public static let maximumStrings = 65_536
    /// The longest string, in bytes, that `readStrings` accepts.
    public static let maximumStringBytes = 4_096

    /// Writes `values` as a `[K]` dataset of variable-length UTF-8 strings.
    public func write(_ name: String, strings values: [String]) throws {
        let type = stringType()
        defer { H5Tclose(type) }
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil)
        guard space >= 0 else { throw StorageError.writeFailed(path: path, object: name) }
        defer { H5Sclose(space) }
        let dataset = H5Dcreate2(
            handle, name, type, space, vaekit_h5p_default(), vaekit_h5p_default(), vaekit_h5p_default())
        guard dataset >= 0 else { throw StorageError.writeFailed(path: path, object: name) }
        defer { H5Dclose(dataset) }
        let copies = values.map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        var pointers = copies.map { UnsafePointer<CChar>($0) }
        guard
            values.isEmpty
                || H5Dwrite(
                    dataset, type, vaekit_h5s_all(), vaekit_h5s_all(), vaekit_h5p_default(), &pointers) >= 0
        else { throw StorageError.writeFailed(path: path, object: name) }
    }

    /// Reads a `[K]` dataset of strings (variable or fixed length).
    public func readStrings(_ name: String) throws -> [String] {
        let (shape, _) = try describe(name)
        guard shape.count == 1, shape[0] <= Self.maximumStrings else {
            throw StorageError.wrongShape(
                path: path, object: name, expected: "[K], K ≤ \(Self.maximumStrings)", found: shape)
        }
        let count = shape[0]
        let dataset = H5Dopen2(handle, name, vaekit_h5p_default())
        guard dataset >= 0 else { throw StorageError.missing(path: path, object: "dataset \(name)") }
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        let fileType = H5Dget_type(dataset)
        defer { H5Tclose(fileType) }
        guard H5Tget_class(fileType) == H5T_STRING else {
            throw StorageError.wrongType(
                path: path, object: name, expected: "strings", found: "a non-string type")
        }
        if count == 0 { return [] }
        func text(_ bytes: some Collection<CChar>) throws -> String {
            guard bytes.count <= Self.maximumStringBytes else {
                throw StorageError.invalid(
                    path: path,
                    reason: "\(name): a string of \(bytes.count) bytes (at most \(Self.maximumStringBytes))")
            }
            return String(decoding: bytes.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        if H5Tis_variable_str(fileType) > 0 {
            let memoryType = stringType()
            defer { H5Tclose(memoryType) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            guard
                H5Dread(
                    dataset, memoryType, vaekit_h5s_all(), vaekit_h5s_all(), vaekit_h5p_default(), &pointers)
                    >= 0
            else { throw StorageError.invalid(path: path, reason: "\(name): unreadable strings") }
            defer { H5Dvlen_reclaim(memoryType, space, vaekit_h5p_default(), &pointers) }
            return try pointers.map { pointer in
                guard let pointer else { return "" }
                return try text(
                    UnsafeBufferPointer(start: pointer, count: strnlen(pointer, Self.maximumStringBytes + 1)))
            }
        }
        let size = H5Tget_size(fileType)
        guard size <= Self.maximumStringBytes else {
            throw StorageError.invalid(
                path: path, reason: "\(name): strings of \(size) bytes (at most \(Self.maximumStringBytes))")
        }
        var buffer = [CChar](repeating: 0, count: count * size)
        guard
            H5Dread(dataset, fileType, vaekit_h5s_all(), vaekit_h5s_all(), vaekit_h5p_default(), &buffer) >= 0
        else {
            throw StorageError.invalid(path: path, reason: "\(name): unreadable strings")
        }
        return try (0..<count).map { try text(buffer[($0 * size)..<(($0 + 1) * size)].prefix { $0 != 0 }) }
    }
}
