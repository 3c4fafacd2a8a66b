// Declared dataset shapes are checked before anything is allocated.

import Foundation
import Storage
import Testing

@Suite struct HDF5BoundsTests {
    /// A chunked dataset declared with 10⁸ × 784 floats and nothing written (0 bytes stored), and
    /// one whose extents overflow: both refused by name, neither allocated.
    @Test func declaredShapesBeyondTheStoredDataAreRefused() throws {
        let path = NSTemporaryDirectory() + "vaekit-hdf5-bounds-\(getpid()).h5"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try HDF5File.create(path)
        try file.createFloats("/claimed", shape: [100_000_000, 784], chunk: [1, 784])
        try file.write("/small", floats: (0..<12).map(Float.init), shape: [3, 4])
        do {
            _ = try file.readFloats("/claimed")
            Issue.record("a 313 GB declaration was read")
        } catch {
            #expect("\(error)".contains("/claimed"), "\(error)")
        }
        #expect(try file.readFloats("/small").values == (0..<12).map(Float.init))
    }
}
