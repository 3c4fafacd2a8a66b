// A thin Swift layer over HDF5: files, groups, datasets of Float32, Int64 and UInt8, and
// string/number attributes. Object paths are HDF5 paths ("/params/encoder.fc1.weight").

import CHDF5

/// An open HDF5 file. Closed when the last reference goes away.
public final class HDF5File {
    /// The path the file was opened or created with (for error messages).
    public let path: String
    let handle: hid_t

    private init(path: String, handle: hid_t) {
        self.path = path
        self.handle = handle
    }

    deinit { H5Fclose(handle) }

    /// Creates (truncating) a file at `path` in the 1.10 format (checksummed metadata). Prefer
    /// `create(atomicallyAt:_:)`.
    public static func create(_ path: String) throws -> HDF5File {
        vaekit_h5_silence_errors()
        let access = vaekit_h5p_file_access_checksummed()
        defer { if access >= 0 { H5Pclose(access) } }
        guard access >= 0 else { throw StorageError.cannotOpen(path: path, reason: "cannot create") }
        let handle = H5Fcreate(path, vaekit_h5f_acc_trunc(), vaekit_h5p_default(), access)
        guard handle >= 0 else { throw StorageError.cannotOpen(path: path, reason: "cannot create") }
        return HDF5File(path: path, handle: handle)
    }

    /// Writes a whole file through `body` under a temporary name, then renames it into place.
    public static func create(atomicallyAt path: String, _ body: (HDF5File) throws -> Void) throws {
        try AtomicFile.replace(path) { temporary in
            let file = try HDF5File.create(temporary)
            try body(file)
            guard H5Fflush(file.handle, H5F_SCOPE_GLOBAL) >= 0 else {
                throw StorageError.writeFailed(path: path, object: "flush")
            }
        }
    }

    /// Opens an existing file read-only, after `checkGlobalHeaps`.
    public static func open(_ path: String) throws -> HDF5File {
        vaekit_h5_silence_errors()
        guard fileExists(path) else { throw StorageError.cannotOpen(path: path, reason: "no such file") }
        guard H5Fis_hdf5(path) > 0 else { throw StorageError.notHDF5(path: path) }
        try checkGlobalHeaps(path)
        let handle = H5Fopen(path, vaekit_h5f_acc_rdonly(), vaekit_h5p_default())
        guard handle >= 0 else { throw StorageError.notHDF5(path: path) }
        return HDF5File(path: path, handle: handle)
    }

    // MARK: - Structure

    /// Whether an object (group or dataset) exists at `object`, checking each parent first.
    public func exists(_ object: String) -> Bool {
        var prefix = ""
        for component in object.split(separator: "/") {
            prefix += "/\(component)"
            if H5Lexists(handle, prefix, vaekit_h5p_default()) <= 0 { return false }
        }
        return true
    }

    /// Creates a group and any missing parents.
    public func createGroup(_ group: String) throws {
        var prefix = ""
        for component in group.split(separator: "/") {
            prefix += "/\(component)"
            if exists(prefix) { continue }
            let id = H5Gcreate2(
                handle, prefix, vaekit_h5p_default(), vaekit_h5p_default(), vaekit_h5p_default())
            guard id >= 0 else { throw StorageError.writeFailed(path: path, object: prefix) }
            H5Gclose(id)
        }
    }

    /// The names of a group's members, in name order.
    public func members(of group: String) throws -> [String] {
        guard group == "/" || exists(group) else { throw StorageError.missing(path: path, object: group) }
        let id = H5Gopen2(handle, group, vaekit_h5p_default())
        guard id >= 0 else { throw StorageError.missing(path: path, object: group) }
        defer { H5Gclose(id) }
        var info = H5G_info_t()
        guard H5Gget_info(id, &info) >= 0 else {
            throw StorageError.invalid(path: path, reason: "unreadable group \(group)")
        }
        var names: [String] = []
        for index in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(
                id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, vaekit_h5p_default())
            guard length >= 0 else { continue }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            H5Lget_name_by_idx(
                id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, Int(length) + 1, vaekit_h5p_default())
            names.append(
                String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    // MARK: - Datasets

    /// Element types stored by VAEKit.
    public enum ElementType: String, Sendable {
        case float32, int64, uint8
        /// Read only (numpy's default float), as Double.
        case float64
        /// IEEE half precision in the file, read and written as Float32 in memory.
        case float16

        var memoryType: hid_t {
            switch self {
            case .float32, .float16: return vaekit_h5t_native_float()
            case .float64: return vaekit_h5t_native_double()
            case .int64: return vaekit_h5t_native_int64()
            case .uint8: return vaekit_h5t_native_uint8()
            }
        }
    }

    func writeDataset(
        _ name: String, type: ElementType, shape: [Int], chunk: [Int]?, compress: Bool,
        data: UnsafeRawPointer?
    ) throws {
        if let slash = name.lastIndex(of: "/"), slash != name.startIndex {
            try createGroup(String(name[..<slash]))
        }
        var dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(shape.count), &dims, nil)
        guard space >= 0 else { throw StorageError.writeFailed(path: path, object: name) }
        defer { H5Sclose(space) }
        let properties = H5Pcreate(vaekit_h5p_dataset_create())
        defer { H5Pclose(properties) }
        if let chunk, !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) {
            var chunkDims = zip(chunk, shape).map { hsize_t(max(1, min($0, $1))) }
            H5Pset_chunk(properties, Int32(chunkDims.count), &chunkDims)
            if compress { H5Pset_deflate(properties, 4) }
        }
        let fileType = type == .float16 ? vaekit_h5t_ieee_f16le() : type.memoryType
        defer { if type == .float16 { H5Tclose(fileType) } }
        let dataset = H5Dcreate2(
            handle, name, fileType, space, vaekit_h5p_default(), properties, vaekit_h5p_default())
        guard dataset >= 0 else { throw StorageError.writeFailed(path: path, object: name) }
        defer { H5Dclose(dataset) }
        if let data, shape.reduce(1, *) > 0 {
            guard
                H5Dwrite(
                    dataset, type.memoryType, vaekit_h5s_all(), vaekit_h5s_all(), vaekit_h5p_default(), data)
                    >= 0
            else { throw StorageError.writeFailed(path: path, object: name) }
        }
    }

    /// Writes a Float32 dataset of `shape` from `values` (row-major).
    public func write(
        _ name: String, floats values: UnsafeBufferPointer<Float>, shape: [Int], chunk: [Int]? = nil
    ) throws {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for \(shape)")
        try writeDataset(
            name, type: .float32, shape: shape, chunk: chunk, compress: false, data: values.baseAddress)
    }

    /// Writes a Float32 dataset.
    public func write(_ name: String, floats values: [Float], shape: [Int], chunk: [Int]? = nil) throws {
        try values.withUnsafeBufferPointer { try write(name, floats: $0, shape: shape, chunk: chunk) }
    }

    /// Writes an Int64 dataset.
    public func write(_ name: String, int64s values: [Int64], shape: [Int]) throws {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for \(shape)")
        try values.withUnsafeBytes {
            try writeDataset(
                name, type: .int64, shape: shape, chunk: nil, compress: false, data: $0.baseAddress)
        }
    }

    /// Writes a UInt8 dataset, chunked by `chunk` and deflate-compressed when a chunk is given.
    public func write(_ name: String, bytes values: [UInt8], shape: [Int], chunk: [Int]? = nil) throws {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for \(shape)")
        try values.withUnsafeBytes {
            try writeDataset(
                name, type: .uint8, shape: shape, chunk: chunk, compress: chunk != nil, data: $0.baseAddress)
        }
    }

    /// The most bytes one dataset may declare: 2³⁴ (16 GiB).
    public static let maximumBytes = 1 << 34

    /// The shape and stored element type of a dataset.
    public func describe(_ name: String) throws -> (shape: [Int], type: ElementType?) {
        guard exists(name) else { throw StorageError.missing(path: path, object: name) }
        let dataset = H5Dopen2(handle, name, vaekit_h5p_default())
        guard dataset >= 0 else { throw StorageError.missing(path: path, object: "dataset \(name)") }
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        H5Sget_simple_extent_dims(space, &dims, nil)
        let fileType = H5Dget_type(dataset)
        defer { H5Tclose(fileType) }
        let typeClass = H5Tget_class(fileType)
        let size = H5Tget_size(fileType)
        var type: ElementType?
        if typeClass == H5T_FLOAT && size == 4 { type = .float32 }
        if typeClass == H5T_FLOAT && size == 2 { type = .float16 }
        if typeClass == H5T_FLOAT && size == 8 { type = .float64 }
        if typeClass == H5T_INTEGER && size == 8 && H5Tget_sign(fileType) == H5T_SGN_2 { type = .int64 }
        if typeClass == H5T_INTEGER && size == 1 && H5Tget_sign(fileType) == H5T_SGN_NONE { type = .uint8 }
        return (dims.prefix(rank).map { Int($0) }, type)
    }

    private func read<T>(_ name: String, type: ElementType, zero: T) throws -> (values: [T], shape: [Int]) {
        let (shape, found) = try describe(name)
        guard found == type else {
            throw StorageError.wrongType(
                path: path, object: name, expected: type.rawValue, found: found?.rawValue ?? "another type")
        }
        let dataset = H5Dopen2(handle, name, vaekit_h5p_default())
        defer { H5Dclose(dataset) }
        // A declared shape is checked before it is allocated: no overflow, at most 2³⁴ bytes, and
        // no more than the stored data could hold (deflate compresses at most ~1,032×).
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= HDF5File.maximumBytes / MemoryLayout<T>.stride else {
                throw StorageError.invalid(
                    path: path, reason: "dataset \(name) declares an implausible shape \(shape)")
            }
            count = product
        }
        let stored = Int(H5Dget_storage_size(dataset))
        guard count * MemoryLayout<T>.stride <= stored * 2048 + (1 << 20) else {
            throw StorageError.invalid(
                path: path,
                reason:
                    "dataset \(name) declares \(shape) (\(count * MemoryLayout<T>.stride) bytes) but stores \(stored) bytes"
            )
        }
        var values = [T](repeating: zero, count: count)
        if !values.isEmpty {
            let status = values.withUnsafeMutableBytes {
                H5Dread(
                    dataset, type.memoryType, vaekit_h5s_all(), vaekit_h5s_all(), vaekit_h5p_default(),
                    $0.baseAddress)
            }
            guard status >= 0 else {
                throw StorageError.invalid(path: path, reason: "unreadable dataset \(name)")
            }
        }
        return (values, shape)
    }

    /// Reads a Float32 dataset.
    public func readFloats(_ name: String) throws -> (values: [Float], shape: [Int]) {
        try read(name, type: .float32, zero: Float(0))
    }

    /// Reads a Float64 dataset.
    public func readDoubles(_ name: String) throws -> (values: [Double], shape: [Int]) {
        try read(name, type: .float64, zero: Double(0))
    }

    /// Reads an Int64 dataset.
    public func readInt64s(_ name: String) throws -> (values: [Int64], shape: [Int]) {
        try read(name, type: .int64, zero: Int64(0))
    }

    /// Reads a UInt8 dataset.
    public func readBytes(_ name: String) throws -> (values: [UInt8], shape: [Int]) {
        try read(name, type: .uint8, zero: UInt8(0))
    }

    // MARK: - Attributes

    private func withObject<R>(_ object: String, _ body: (hid_t) throws -> R) throws -> R {
        guard object == "/" || exists(object) else { throw StorageError.missing(path: path, object: object) }
        let id = H5Oopen(handle, object, vaekit_h5p_default())
        guard id >= 0 else { throw StorageError.missing(path: path, object: object) }
        defer { H5Oclose(id) }
        return try body(id)
    }

    private func writeAttribute(_ name: String, on object: String, type: hid_t, value: UnsafeRawPointer)
        throws
    {
        try withObject(object) { id in
            if H5Aexists(id, name) > 0 { H5Adelete(id, name) }
            let space = vaekit_h5s_scalar_space()
            defer { H5Sclose(space) }
            let attribute = H5Acreate2(id, name, type, space, vaekit_h5p_default(), vaekit_h5p_default())
            guard attribute >= 0 else {
                throw StorageError.writeFailed(path: path, object: "attribute \(name)")
            }
            defer { H5Aclose(attribute) }
            guard H5Awrite(attribute, type, value) >= 0 else {
                throw StorageError.writeFailed(path: path, object: "attribute \(name)")
            }
        }
    }

    func stringType() -> hid_t {
        let type = H5Tcopy(vaekit_h5t_c_s1())
        H5Tset_size(type, vaekit_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        return type
    }

    /// Sets a UTF-8 string attribute (variable length; h5py reads it as `str`).
    public func setAttribute(_ name: String, _ value: String, on object: String = "/") throws {
        let type = stringType()
        defer { H5Tclose(type) }
        try value.withCString { pointer in
            var address: UnsafePointer<CChar>? = pointer
            try withUnsafePointer(to: &address) {
                try writeAttribute(name, on: object, type: type, value: $0)
            }
        }
    }

    /// Sets an Int64 attribute.
    public func setAttribute(_ name: String, _ value: Int64, on object: String = "/") throws {
        var copy = value
        try writeAttribute(name, on: object, type: vaekit_h5t_native_int64(), value: &copy)
    }

    /// Sets a Double attribute.
    public func setAttribute(_ name: String, _ value: Double, on object: String = "/") throws {
        var copy = value
        try writeAttribute(name, on: object, type: vaekit_h5t_native_double(), value: &copy)
    }

    private func readAttribute<R>(_ name: String, on object: String, _ body: (hid_t, hid_t) throws -> R)
        throws -> R
    {
        try withObject(object) { id in
            guard H5Aexists(id, name) > 0 else {
                throw StorageError.missing(path: path, object: "attribute \(name) of \(object)")
            }
            let attribute = H5Aopen(id, name, vaekit_h5p_default())
            defer { H5Aclose(attribute) }
            let type = H5Aget_type(attribute)
            defer { H5Tclose(type) }
            return try body(attribute, type)
        }
    }

    /// Reads a string attribute.
    public func stringAttribute(_ name: String, on object: String = "/") throws -> String {
        try readAttribute(name, on: object) { attribute, fileType in
            guard H5Tget_class(fileType) == H5T_STRING else {
                throw StorageError.wrongType(
                    path: path, object: "attribute \(name)", expected: "string", found: "a non-string")
            }
            if H5Tis_variable_str(fileType) > 0 {
                let memoryType = stringType()
                defer { H5Tclose(memoryType) }
                var pointer: UnsafeMutablePointer<CChar>?
                guard H5Aread(attribute, memoryType, &pointer) >= 0, let pointer else {
                    throw StorageError.invalid(path: path, reason: "unreadable attribute \(name)")
                }
                defer { H5free_memory(pointer) }
                return String(cString: pointer)
            }
            let size = H5Tget_size(fileType)
            var buffer = [CChar](repeating: 0, count: size + 1)
            guard H5Aread(attribute, fileType, &buffer) >= 0 else {
                throw StorageError.invalid(path: path, reason: "unreadable attribute \(name)")
            }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Reads an integer attribute.
    public func intAttribute(_ name: String, on object: String = "/") throws -> Int64 {
        try readAttribute(name, on: object) { attribute, fileType in
            guard H5Tget_class(fileType) == H5T_INTEGER else {
                throw StorageError.wrongType(
                    path: path, object: "attribute \(name)", expected: "integer", found: "a non-integer")
            }
            var value: Int64 = 0
            guard H5Aread(attribute, vaekit_h5t_native_int64(), &value) >= 0 else {
                throw StorageError.invalid(path: path, reason: "unreadable attribute \(name)")
            }
            return value
        }
    }

    /// Reads a floating-point attribute.
    public func doubleAttribute(_ name: String, on object: String = "/") throws -> Double {
        try readAttribute(name, on: object) { attribute, fileType in
            guard H5Tget_class(fileType) == H5T_FLOAT || H5Tget_class(fileType) == H5T_INTEGER else {
                throw StorageError.wrongType(
                    path: path, object: "attribute \(name)", expected: "number", found: "a non-number")
            }
            var value: Double = 0
            guard H5Aread(attribute, vaekit_h5t_native_double(), &value) >= 0 else {
                throw StorageError.invalid(path: path, reason: "unreadable attribute \(name)")
            }
            return value
        }
    }
}
