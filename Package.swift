// swift-tools-version: 6.0
//
// VAEKit: data-parallel VAE training and explanation (influence, OOD) in Swift.
// A target imports only targets above it (docs/architecture.md has what each one owns):
//
//   COpenBLAS, CMPI, CHDF5, CZlib, CFreeType, CMalloc   system libraries through shim headers
//   _CTensorKernels                          C kernels, one clone per instruction set; private to TensorCore
//   TensorCore                               → COpenBLAS, CMalloc, _CTensorKernels (internal import)
//   Autodiff                                 → TensorCore
//   NN                                       → Autodiff
//   Models                                   → NN
//   Storage                                  → CHDF5, CZlib, TensorCore
//   Cluster                                  → CMPI
//   Datasets                                 → TensorCore, Storage, CZlib, CFreeType
//   Runs                                     → Models, Datasets, Cluster, Storage, Yams
//   Training, Influence, OOD                 → Runs
//   Experiments                              → Training, Influence, OOD
//   Reports                                  → Influence, OOD, Runs
//   vaekit                                   → everything, swift-argument-parser
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
        .systemLibrary(
            name: "CFreeType", pkgConfig: "freetype2",
            providers: [.apt(["libfreetype-dev"])]),
        // glibc's mallopt, for the allocator setting of tensor workloads.
        .systemLibrary(name: "CMalloc"),

        // MARK: - Engine

        // Vectorized elementwise kernels in C, compiled per instruction set (target_clones).
        // Private to TensorCore (imported `internal` there and nowhere else).
        .target(name: "_CTensorKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),
        .target(name: "TensorCore", dependencies: ["CMalloc", "COpenBLAS", "_CTensorKernels"]),
        .target(name: "Autodiff", dependencies: ["TensorCore"]),
        .target(name: "NN", dependencies: ["Autodiff", "TensorCore"]),

        // MARK: - VAE models, storage, cluster, data
        .target(name: "Models", dependencies: ["Autodiff", "NN", "TensorCore"]),
        .target(name: "Storage", dependencies: ["CHDF5", "CZlib", "TensorCore"]),
        .target(name: "Cluster", dependencies: ["CMPI"]),
        .target(name: "Datasets", dependencies: ["CFreeType", "CZlib", "Storage", "TensorCore"]),

        // MARK: - Commands' shared run logic and the commands' engines
        .target(
            name: "Runs",
            dependencies: [
                "Autodiff", "Cluster", "Datasets", "Models", "NN", "Storage", "TensorCore",
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(
            name: "Training",
            dependencies: [
                "Autodiff", "Cluster", "Datasets", "Models", "NN", "Runs", "Storage", "TensorCore",
            ]),
        .target(
            name: "Influence",
            dependencies: [
                "Autodiff", "Cluster", "Datasets", "Models", "NN", "Runs", "Storage", "TensorCore",
            ]),
        .target(
            name: "OOD",
            dependencies: [
                "Autodiff", "Cluster", "Datasets", "Models", "NN", "Runs", "Storage", "TensorCore",
            ]),
        // Research studies above the system (it may use Training, Influence and OOD):
        // disentanglement, representation and invariance metrics, the HVAE Gaussian experiment.
        .target(
            name: "Experiments",
            dependencies: [
                "Autodiff", "Cluster", "Datasets", "Influence", "Models", "NN", "Runs", "Storage",
                "TensorCore", "Training",
            ]),
        .target(
            name: "Reports", dependencies: ["Datasets", "Influence", "OOD", "Runs", "Storage"]),

        // MARK: - Command-line tool
        .executableTarget(
            name: "vaekit",
            dependencies: [
                "Autodiff", "Cluster", "Datasets", "Experiments", "Influence", "Models", "NN", "OOD",
                "Reports", "Runs", "Storage", "TensorCore", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: - Tests (one target per target tested, plus the shared fixture)
        .target(
            name: "VAEKitTestSupport", dependencies: ["Cluster", "Datasets", "OOD", "Runs", "Training"],
            path: "Tests/VAEKitTestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "TensorCore"]),
        .testTarget(name: "NNTests", dependencies: ["Autodiff", "NN", "TensorCore"]),
        .testTarget(
            name: "ModelsTests", dependencies: ["Autodiff", "Datasets", "Models", "NN", "TensorCore"]),
        .testTarget(name: "StorageTests", dependencies: ["CZlib", "Storage"]),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["CZlib", "Datasets", "Storage", "TensorCore", "VAEKitTestSupport"]),
        .testTarget(
            name: "RunsTests",
            dependencies: ["Datasets", "Models", "Runs", "Storage", "TensorCore", "VAEKitTestSupport"]),
        .testTarget(
            name: "TrainingTests",
            dependencies: [
                "Datasets", "Models", "NN", "Runs", "Storage", "TensorCore", "Training", "VAEKitTestSupport",
            ]),
        .testTarget(
            name: "ExperimentsTests",
            dependencies: ["Datasets", "Experiments", "Runs", "Storage", "TensorCore", "VAEKitTestSupport"]),
        .testTarget(
            name: "InfluenceTests",
            dependencies: [
                "Autodiff", "Cluster", "Datasets", "Influence", "Models", "NN", "Runs", "Storage",
                "TensorCore", "Training", "VAEKitTestSupport",
            ]),
        .testTarget(
            name: "FuzzTests",
            dependencies: [
                "Cluster", "CZlib", "Datasets", "Influence", "OOD", "Runs", "Storage", "VAEKitTestSupport",
            ]),
        .testTarget(
            name: "OODTests",
            dependencies: [
                "Datasets", "Models", "OOD", "Runs", "TensorCore", "Training", "VAEKitTestSupport",
            ]),
    ]
)
