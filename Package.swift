// swift-tools-version: 6.0
//
// VAEKit: data-parallel VAE training and explanation (influence, OOD) in Swift.
// Dependency rule (docs: ../shared/DESIGN.md): a target imports only targets above it.
//
//   COpenBLAS, CMPI, CHDF5          system libraries through shim headers
//   CKernels                        C kernels (exp/log-based, Adam), one clone per instruction set
//   TensorCore                      → COpenBLAS, CMalloc, CKernels
//   Autodiff                        → TensorCore
//   NN                              → Autodiff, CKernels
//   Models                          → NN
//   Storage                         → CHDF5, CZlib, TensorCore
//   Cluster                         → CMPI
//   Datasets                        → TensorCore, Storage, CZlib
//   Runs                            → Models, Datasets, Cluster, Storage, Yams
//   Training, Influence, OOD        → Runs
//   Reports                         → Influence, OOD, TensorCore
//   vaekit                          → everything, swift-argument-parser
import PackageDescription

let package = Package(
    name: "VAEKit",
    products: [
        .executable(name: "vaekit", targets: ["vaekit"])
    ],
    dependencies: [
        // The command line: subcommands, typed options, generated help.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML run configs (parsed to a node tree; VAEKit checks keys and types itself).
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // MARK: - System libraries (Debian packages, found by pkg-config)
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(
            name: "CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // glibc's mallopt, for the allocator setting of tensor workloads.
        .systemLibrary(name: "CMalloc"),

        // MARK: - Engine

        // Vectorized elementwise kernels in C, compiled per instruction set (target_clones).
        // Private to TensorCore (imported `internal` there and nowhere else).
        .target(name: "_CTensorKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),
        .target(name: "TensorCore", dependencies: ["COpenBLAS", "CMalloc", "_CTensorKernels"]),
        .target(name: "Autodiff", dependencies: ["TensorCore"]),
        .target(name: "NN", dependencies: ["Autodiff"]),

        // MARK: - VAE models, storage, cluster, data
        .target(name: "Models", dependencies: ["NN"]),
        .target(name: "Storage", dependencies: ["CHDF5", "CZlib", "TensorCore"]),
        .target(name: "Cluster", dependencies: ["CMPI"]),
        .target(name: "Datasets", dependencies: ["TensorCore", "Storage", "CZlib"]),

        // MARK: - Commands' shared run logic and the commands' engines
        .target(
            name: "Runs",
            dependencies: [
                "Models", "Datasets", "Cluster", "Storage", .product(name: "Yams", package: "Yams"),
            ]),
        .target(name: "Training", dependencies: ["Runs"]),
        .target(name: "Influence", dependencies: ["Runs"]),
        .target(name: "OOD", dependencies: ["Runs"]),
        // Research studies above the system: disentanglement, representation and invariance
        // metrics, the HVAE Gaussian experiment.
        .target(name: "Experiments", dependencies: ["Training", "Influence", "OOD"]),
        .target(
            name: "Reports", dependencies: ["Influence", "OOD", "Runs", "Datasets", "Storage", "TensorCore"]),

        // MARK: - Command-line tool
        .executableTarget(
            name: "vaekit",
            dependencies: [
                "TensorCore", "Autodiff", "NN", "Models", "Storage", "Cluster", "Datasets",
                "Runs", "Training", "Influence", "OOD", "Experiments", "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: - Tests (one target per target tested, plus the shared fixture)
        .target(
            name: "VAEKitTestSupport", dependencies: ["Datasets", "Runs", "Training"],
            path: "Tests/VAEKitTestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "TensorCore"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Autodiff", "TensorCore"]),
        .testTarget(
            name: "ModelsTests", dependencies: ["Models", "NN", "Autodiff", "Datasets", "TensorCore"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "CZlib"]),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["Datasets", "Storage", "TensorCore", "CZlib", "VAEKitTestSupport"]),
        .testTarget(
            name: "RunsTests", dependencies: ["Runs", "Datasets", "TensorCore", "VAEKitTestSupport"]),
        .testTarget(
            name: "TrainingTests",
            dependencies: [
                "Training", "Runs", "Models", "NN", "Datasets", "Storage", "TensorCore", "VAEKitTestSupport",
            ]),
        .testTarget(
            name: "InfluenceTests",
            dependencies: [
                "Influence", "Runs", "Training", "Models", "Datasets", "Storage", "Cluster", "NN", "Autodiff",
                "TensorCore", "VAEKitTestSupport",
            ]),
        .testTarget(
            name: "OODTests",
            dependencies: [
                "OOD", "Datasets", "Runs", "Training", "Models", "NN", "TensorCore", "VAEKitTestSupport",
            ]),
    ]
)
