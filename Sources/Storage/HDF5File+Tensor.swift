// Tensors in HDF5 datasets.

import TensorCore

extension HDF5File {
    /// Writes `tensor` as a Float32 dataset of its shape.
    public func write(_ name: String, tensor: Tensor, chunk: [Int]? = nil) throws {
        try tensor.withUnsafeBufferPointer { try write(name, floats: $0, shape: tensor.shape, chunk: chunk) }
    }

    /// Reads a Float32 dataset as a tensor; when `shape` is given, it must match.
    public func readTensor(_ name: String, shape expected: [Int]? = nil) throws -> Tensor {
        let (values, shape) = try readFloats(name)
        if let expected, expected != shape {
            throw StorageError.wrongShape(path: path, object: name, expected: "\(expected)", found: shape)
        }
        return Tensor(shape: shape, scalars: values)
    }
}
