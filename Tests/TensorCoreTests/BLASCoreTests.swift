// The choice of OpenBLAS kernels: a generic family on a CPU with AVX2 or AVX-512 is replaced by
// the family the flags allow; anything else is left alone.

import Testing

@testable import TensorCore

@Suite struct BLASCoreTests {
    let avx512 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 avx512f avx512dq avx512bw\n"
    let avx2 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n"
    let sse = "processor\t: 0\nflags\t\t: fpu sse2 sse3\n"

    @Test func genericCoresAreReplacedByWhatTheFlagsAllow() {
        #expect(fasterBLASCore(core: "Prescott", cpuInfo: avx512) == "SkylakeX")
        #expect(fasterBLASCore(core: "Sandybridge", cpuInfo: avx2) == "Haswell")
        #expect(fasterBLASCore(core: "Prescott", cpuInfo: sse) == nil)
    }

    @Test func recognisedCoresAndUnreadableFlagsAreLeftAlone() {
        #expect(fasterBLASCore(core: "Cooperlake", cpuInfo: avx512) == nil)
        #expect(fasterBLASCore(core: "Haswell", cpuInfo: avx512) == nil)
        #expect(fasterBLASCore(core: "Prescott", cpuInfo: nil) == nil)
        #expect(!blasCoreName.isEmpty)
    }
}
