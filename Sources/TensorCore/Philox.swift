// Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as
// easy as 1, 2, 3" (SC 2011). A draw is a pure function of (seed, stream, element index), so it
// never depends on which rank or which batch position asks for it.

#if canImport(Glibc)
    import Glibc
#endif

/// A counter-based random generator keyed by a seed and a stream.
///
/// Element `e` of any draw comes from block `e / 4`, lane `e % 4`, of the Philox4x32-10
/// permutation of the counter `(e / 4, stream)` under the key `seed`. Normal draws pair lanes
/// (0, 1) and (2, 3) through Box–Muller, so element `e` is again a function of `e` alone.
public struct Philox: Sendable, Equatable {
    /// The key.
    public private(set) var seed: UInt64
    /// The upper half of the counter: one independent sequence per stream.
    public private(set) var stream: UInt64

    /// A generator for `(seed, stream)`. Internal: outside TensorCore a stream is built from a
    /// `RandomPurpose` through `Draws`, the registry of random purposes.
    init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
    }

    /// Combines identifiers (a purpose, a step, an example index) into one stream number.
    static func stream(_ parts: UInt64...) -> UInt64 {
        // SplitMix64 finalizer over a running hash: distinct tuples give unrelated streams.
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15
        for part in parts {
            hash ^= part &+ 0x9E37_79B9_7F4A_7C15 &+ (hash << 6) &+ (hash >> 2)
            hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
            hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
            hash ^= hash >> 31
        }
        return hash
    }

    /// The raw Philox4x32-10 function of a 128-bit counter and a 64-bit key.
    public static func block(
        counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)
    ) -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            let product0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let product1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let (hi0, lo0) = (
                UInt32(truncatingIfNeeded: product0 >> 32), UInt32(truncatingIfNeeded: product0)
            )
            let (hi1, lo1) = (
                UInt32(truncatingIfNeeded: product1 >> 32), UInt32(truncatingIfNeeded: product1)
            )
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return (c0, c1, c2, c3)
    }

    /// The four 32-bit words of block `index` of this generator.
    @inline(__always)
    public func words(block index: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        Philox.block(
            counter: (
                UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32),
                UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)
            ),
            key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    /// Maps 32 random bits to a float in the open interval (0, 1).
    @inline(__always)
    static func unitInterval(_ bits: UInt32) -> Float {
        (Float(bits >> 8) + 0.5) * (1.0 / 16_777_216.0)
    }

    /// Fills `buffer` with the elements `first ..< first + buffer.count`, one value per lane
    /// of each block, passing each block's four lane values through `transform`.
    private func fill(
        _ buffer: UnsafeMutableBufferPointer<Float>, first: UInt64,
        _ transform: ((UInt32, UInt32, UInt32, UInt32)) -> (Float, Float, Float, Float)
    ) {
        var index = 0
        while index < buffer.count {
            let element = first + UInt64(index)
            let blockIndex = element / 4
            let values = transform(words(block: blockIndex))
            var lane = Int(element % 4)
            while lane < 4 && index < buffer.count {
                switch lane {
                case 0: buffer[index] = values.0
                case 1: buffer[index] = values.1
                case 2: buffer[index] = values.2
                default: buffer[index] = values.3
                }
                lane += 1
                index += 1
            }
        }
    }

    /// Uniform draws in (0, 1): elements `first ..< first + count(shape)` of this generator.
    public func uniform(_ shape: [Int], first: UInt64 = 0) -> Tensor {
        Tensor(shape: shape) { buffer in
            fill(buffer, first: first) { w in
                (
                    Philox.unitInterval(w.0), Philox.unitInterval(w.1), Philox.unitInterval(w.2),
                    Philox.unitInterval(w.3)
                )
            }
        }
    }

    /// Standard normal draws: elements `first ..< first + count(shape)` of this generator.
    public func normal(_ shape: [Int], first: UInt64 = 0) -> Tensor {
        Tensor(shape: shape) { buffer in
            fill(buffer, first: first) { w in
                let (a, b) = Philox.boxMuller(Philox.unitInterval(w.0), Philox.unitInterval(w.1))
                let (c, d) = Philox.boxMuller(Philox.unitInterval(w.2), Philox.unitInterval(w.3))
                return (a, b, c, d)
            }
        }
    }

    /// Two independent standard normals from two uniforms in (0, 1).
    @inline(__always)
    static func boxMuller(_ u: Float, _ v: Float) -> (Float, Float) {
        let radius = (-2 * Glibc.logf(u)).squareRoot()
        let angle = 2 * Float.pi * v
        return (radius * Glibc.cosf(angle), radius * Glibc.sinf(angle))
    }
}
