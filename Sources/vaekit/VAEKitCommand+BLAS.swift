// The fast BLAS kernels without `launch/env.sh`: when OpenBLAS chose a generic kernel family on a
// CPU that supports AVX2 or AVX-512, the process runs itself again with OPENBLAS_CORETYPE set
// (OpenBLAS reads it only when it loads). Before MPI or any thread starts; once at most.

import Foundation
import TensorCore

extension VAEKitCommand {
    static func useFastBLASCore() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
            ProcessInfo.processInfo.environment["VAEKIT_BLAS_REEXEC"] == nil,
            let core = fasterBLASCore()
        else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("VAEKIT_BLAS_REEXEC", "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // exec failed: go on with the slow kernels rather than not at all.
    }
}
