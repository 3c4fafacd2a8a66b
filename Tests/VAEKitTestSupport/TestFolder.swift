// A fresh temporary folder per test.

import Foundation

/// A new folder under the temporary directory, named after the calling test.
public func makeTestFolder(_ name: String = #function) -> String {
    let cleaned = name.filter { $0.isLetter || $0.isNumber }
    let path =
        NSTemporaryDirectory() + "vaekit-tests-\(getpid())-\(cleaned)-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
