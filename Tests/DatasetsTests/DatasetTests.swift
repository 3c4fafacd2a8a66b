// IDX import (gzip through zlib), the HDF5 dataset layout, the sampler and binarization.

import CZlib
import Datasets
import Foundation
import Storage
import TensorCore
import Testing
import VAEKitTestSupport

/// Writes an IDX file of unsigned bytes, gzip-compressed.
func writeIDX(_ path: String, shape: [Int], bytes: [UInt8], magicType: UInt8 = 0x08) {
    var header: [UInt8] = [0, 0, magicType, UInt8(shape.count)]
    for extent in shape {
        header += [
            UInt8(extent >> 24), UInt8((extent >> 16) & 0xFF), UInt8((extent >> 8) & 0xFF),
            UInt8(extent & 0xFF),
        ]
    }
    let file = gzopen(path, "wb")
    let all = header + bytes
    _ = all.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    gzclose(file)
}

@Suite struct DatasetTests {
    @Test func idxImportAndHDF5RoundTrip() throws {
        let folder = makeTestFolder()
        let pixels = (0..<(3 * 4 * 5)).map { UInt8($0 * 4) }
        writeIDX("\(folder)/images.gz", shape: [3, 4, 5], bytes: pixels)
        writeIDX("\(folder)/labels.gz", shape: [3], bytes: [7, 8, 9])
        let set = try ImageDataset.importIDX(
            images: "\(folder)/images.gz", labels: "\(folder)/labels.gz", source: "t", split: "train")
        #expect(set.count == 3 && set.channels == 1 && set.height == 4 && set.width == 5)
        #expect(set.images == pixels)
        #expect(set.labels == [7, 8, 9])
        try set.write(to: "\(folder)/set.h5")
        let back = try ImageDataset.read("\(folder)/set.h5")
        #expect(back.images == pixels && back.labels == [7, 8, 9] && back.split == "train")
        let file = try HDF5File.open("\(folder)/set.h5")
        #expect(try file.stringAttribute("format") == ImageDataset.format)
    }

    @Test func badIDXFilesAreRefused() {
        let folder = makeTestFolder()
        writeIDX("\(folder)/floats.gz", shape: [2], bytes: [0, 0, 0, 0, 0, 0, 0, 0], magicType: 0x0D)
        #expect(throws: DatasetError.self) { try IDXFile.read("\(folder)/floats.gz") }
        writeIDX("\(folder)/short.gz", shape: [10, 28, 28], bytes: [1, 2, 3])
        do {
            _ = try IDXFile.read("\(folder)/short.gz")
            Issue.record("accepted a truncated file")
        } catch {
            #expect("\(error)".contains("truncated"))
        }
        writeIDX("\(folder)/images.gz", shape: [3, 2, 2], bytes: [UInt8](repeating: 0, count: 12))
        writeIDX("\(folder)/labels.gz", shape: [4], bytes: [1, 2, 3, 4])
        #expect(throws: DatasetError.self) {
            try ImageDataset.importIDX(
                images: "\(folder)/images.gz", labels: "\(folder)/labels.gz", source: "t", split: "t")
        }
        #expect(throws: DatasetError.self) { try IDXFile.read("\(folder)/missing.gz") }
    }

    @Test func nonHDF5FileIsRefused() throws {
        let folder = makeTestFolder()
        try AtomicFile.write("not hdf5", to: "\(folder)/fake.h5")
        #expect(throws: StorageError.notHDF5(path: "\(folder)/fake.h5")) {
            try ImageDataset.read("\(folder)/fake.h5")
        }
        #expect(throws: StorageError.self) { try ImageDataset.read("\(folder)/absent.h5") }
    }

    @Test func samplerPermutationsAreDeterministicPermutations() {
        let sampler = ShuffleSampler(count: 1000, batchSize: 64, seed: 3)
        let first = sampler.permutation(epoch: 0)
        #expect(first.sorted() == Array(0..<1000))
        #expect(first == sampler.permutation(epoch: 0))
        #expect(first != sampler.permutation(epoch: 1))
        #expect(sampler.stepsPerEpoch == 15)
        #expect(sampler.batch(first, step: 2) == Array(first[128..<192]))
    }

    @Test func binarizationIsKeyedByExampleNotPosition() {
        let set = SyntheticImages.noise(count: 10, channels: 1, height: 6, width: 6, seed: 1)
        let a = set.binarized([3, 7], seed: 5, step: 2)
        let b = set.binarized([7, 3, 1], seed: 5, step: 2)
        #expect(
            a.slice(alongAxis: 0, start: 0, length: 1).scalars
                == b.slice(alongAxis: 0, start: 1, length: 1).scalars)
        #expect(a.scalars.allSatisfy { $0 == 0 || $0 == 1 })
        // Frequencies follow the intensities: a 255 pixel is always 1, a 0 pixel never.
        let constant = SyntheticImages.constant(count: 1, channels: 1, height: 40, width: 40, seed: 9)
        let level = Float(constant.images[0]) / 255
        let ones = constant.binarized([0], seed: 1, step: 0).sum() / 1600
        #expect(abs(ones - level) < 0.05)
    }

    @Test func paddingCentresImages() {
        let set = ImageDataset(
            images: [1, 2, 3, 4], labels: [0], channels: 1, height: 2, width: 2, source: "t", split: "t")
        let padded = set.padded(by: 1)
        #expect(padded.height == 4 && padded.width == 4)
        #expect(padded.images == [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0])
    }
}

@Suite struct IDXHardeningTests {
    /// Bytes of a file.
    static func bytes(_ path: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func refusal(_ path: String) -> String? {
        do {
            _ = try IDXFile.read(path)
            return nil
        } catch { return "\(error)" }
    }

    /// Declared sizes are checked before anything is allocated: three 2³²−1 extents (an Int
    /// overflow before), and an 800-byte file claiming 13 GB (allocated before).
    @Test func declaredSizesAreCheckedAgainstOverflowAndTheData() throws {
        let folder = makeTestFolder()
        try IDXHardeningTests.write(
            [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12), to: "\(folder)/overflow.idx")
        #expect(IDXHardeningTests.refusal("\(folder)/overflow.idx")?.contains("implausible shape") == true)
        // 13,000,000 × 1000 × 1 bytes claimed, 788 present.
        let claim: [UInt8] = [0, 0, 8, 3, 0x00, 0xC6, 0x5D, 0x40, 0, 0, 0x03, 0xE8, 0, 0, 0, 1]
        try IDXHardeningTests.write(claim + [UInt8](repeating: 0, count: 788), to: "\(folder)/claim.idx")
        #expect(
            IDXHardeningTests.refusal("\(folder)/claim.idx")?.contains(
                "promises 13000000000 bytes, the file holds 788") == true)
    }

    /// A gzip file with a wrong CRC or without its trailer is corrupt, said as such.
    @Test func gzipTrailerIsChecked() throws {
        let folder = makeTestFolder()
        writeIDX("\(folder)/good.gz", shape: [2, 2, 2], bytes: (0..<8).map { UInt8($0) })
        #expect(IDXHardeningTests.refusal("\(folder)/good.gz") == nil)
        let good = try IDXHardeningTests.bytes("\(folder)/good.gz")
        var badCRC = good
        badCRC[good.count - 8] ^= 0xFF
        try IDXHardeningTests.write(badCRC, to: "\(folder)/crc.gz")
        #expect(IDXHardeningTests.refusal("\(folder)/crc.gz")?.contains("incorrect data check") == true)
        try IDXHardeningTests.write(Array(good.dropLast(8)), to: "\(folder)/short.gz")
        #expect(IDXHardeningTests.refusal("\(folder)/short.gz")?.contains("unexpected end of file") == true)
    }
}
