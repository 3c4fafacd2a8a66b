// Checks made on an HDF5 file's bytes before libhdf5 parses them.
//
// Debian's libhdf5 1.10 trusts the object sizes inside a global heap collection ("GCOL", where
// variable-length strings such as h5py's `str` attributes live): a corrupted size makes
// `H5HG_read` copy past the collection and crash the process. The heap format has no checksum,
// so VAEKit walks every collection the way libhdf5 will and refuses the file when an object does
// not fit (or, for free space, would make libhdf5's reader loop forever). The rest of the metadata in a file VAEKit writes carries checksums that libhdf5
// verifies itself (files are created with the 1.10 format bounds, `create`).

import CHDF5
import Foundation

extension HDF5File {
    /// The sizes of file addresses and lengths the superblock declares, or `nil` when no
    /// superblock is found where HDF5 looks for one (offset 0, 512, 1024, …).
    static func superblockSizes(_ file: FileHandle, length: UInt64) throws -> (offsets: Int, lengths: Int)? {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        var base: UInt64 = 0
        while base + 16 <= length {
            try file.seek(toOffset: base)
            let head = [UInt8](try file.read(upToCount: 16) ?? Data())
            if head.count == 16, Array(head[0..<8]) == signature {
                // Version 0 and 1 store the sizes at bytes 13 and 14; versions 2 and 3 at 9 and 10.
                return head[8] < 2 ? (Int(head[13]), Int(head[14])) : (Int(head[9]), Int(head[10]))
            }
            base = base == 0 ? 512 : base * 2
        }
        return nil
    }

    /// Refuses a file whose global heap collections hold an object that does not fit inside its
    /// collection, or a collection that does not fit inside the file. Maps the file and searches
    /// it once (glibc's memmem); a collection is recognised by its signature and version ("GCOL",
    /// 1, 0, 0, 0), eight bytes that random data matches with probability 2⁻⁶⁴ per position.
    static func checkGlobalHeaps(_ path: String) throws {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw StorageError.cannotOpen(path: path, reason: "cannot read")
        }
        defer { try? file.close() }
        let length = try file.seekToEnd()
        guard let sizes = try superblockSizes(file, length: length) else { return }
        guard [2, 4, 8, 16].contains(sizes.lengths), [2, 4, 8, 16].contains(sizes.offsets) else {
            throw StorageError.invalid(
                path: path,
                reason: "superblock declares \(sizes.offsets)-byte addresses and "
                    + "\(sizes.lengths)-byte lengths (expected 2, 4, 8 or 16)")
        }
        guard length > 0, let mapped = mmap(nil, Int(length), PROT_READ, MAP_PRIVATE, file.fileDescriptor, 0),
            mapped != MAP_FAILED
        else {
            throw StorageError.cannotOpen(path: path, reason: "cannot map the file")
        }
        defer { munmap(mapped, Int(length)) }
        let marker: [UInt8] = [0x47, 0x43, 0x4F, 0x4C, 0x01, 0x00, 0x00, 0x00]
        var found: [UInt64] = []
        var position = 0
        let total = Int(length)
        while position + marker.count <= total,
            let hit = memmem(mapped + position, total - position, marker, marker.count)
        {
            let at = UnsafeRawPointer(mapped).distance(to: UnsafeRawPointer(hit))
            found.append(UInt64(at))
            position = at + 1
        }
        for start in found {
            try checkCollection(file, at: start, fileLength: length, lengthSize: sizes.lengths, path: path)
        }
    }

    /// Walks one collection as libhdf5's reader does: object headers of 8 + L bytes (index,
    /// reference count, reserved, size), data padded to 8 bytes; an object with index 0 is free
    /// space whose size includes its header (libhdf5 loops forever when that size is 0).
    private static func checkCollection(
        _ file: FileHandle, at start: UInt64, fileLength: UInt64, lengthSize: Int, path: String
    ) throws {
        func little(_ bytes: ArraySlice<UInt8>) -> UInt64 {
            bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        let place = "global heap collection at byte \(start)"
        try file.seek(toOffset: start)
        let header = [UInt8](try file.read(upToCount: 8 + lengthSize) ?? Data())
        guard header.count == 8 + lengthSize else {
            throw StorageError.invalid(path: path, reason: "\(place) is cut off by the end of the file")
        }
        let size = little(header[8...])
        guard size >= 4096, size <= fileLength - start else {
            throw StorageError.invalid(
                path: path,
                reason: "\(place) declares \(size) bytes; expected at least 4096 and at most the "
                    + "\(fileLength - start) bytes left in the file")
        }
        try file.seek(toOffset: start)
        let collection = [UInt8](try file.read(upToCount: Int(size)) ?? Data())
        let objectHeader = 8 + lengthSize
        var position = 8 + lengthSize
        while position + objectHeader <= collection.count {
            let index = little(collection[position..<(position + 2)])
            let objectSize = little(collection[(position + 8)..<(position + objectHeader)])
            let room = UInt64(collection.count - position)
            let fits =
                index == 0
                ? objectSize >= UInt64(objectHeader) && objectSize <= room
                : objectSize <= room - UInt64(objectHeader)
            guard fits else {
                throw StorageError.invalid(
                    path: path,
                    reason: "\(place): object \(index) at byte \(position) declares \(objectSize) bytes, "
                        + "which do not fit the \(room) left in the collection (the file is corrupt)")
            }
            position += index == 0 ? Int(objectSize) : objectHeader + Int((objectSize + 7) & ~7)
        }
    }
}
