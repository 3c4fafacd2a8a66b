// Which OpenBLAS kernels run GEMM. Debian's OpenBLAS (DYNAMIC_ARCH) picks a kernel family at load
// time from the CPU's identity; on some virtualised Xeons it does not recognise the CPU and falls
// back to a generic family ("Prescott", SSE3), about 3× slower on GEMM, although the CPU flags
// allow AVX2 or AVX-512 kernels. OPENBLAS_CORETYPE overrides the choice, but only at load time.

import COpenBLAS
import Foundation

/// The OpenBLAS kernel family in use, e.g. `SkylakeX`, `Haswell`, `Prescott`.
public var blasCoreName: String { String(cString: vaekit_blas_corename()) }

/// The kernel family this CPU's flags support (`SkylakeX` with AVX-512F and BW, `Haswell` with
/// AVX2) when OpenBLAS chose (`core`) one of its generic pre-AVX2 families instead; nil otherwise.
public func fasterBLASCore(
    core: String = blasCoreName,
    cpuInfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
) -> String? {
    let generic: Set<String> = [
        "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "sandybridge", "katmai",
        "coppermine", "northwood", "banias", "opteron", "barcelona",
    ]
    guard generic.contains(core.lowercased()),
        let flagsLine = cpuInfo?.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return nil }
    let flags = Set(
        flagsLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
    if flags.contains("avx512f") && flags.contains("avx512bw") { return "SkylakeX" }
    if flags.contains("avx2") { return "Haswell" }
    return nil
}
