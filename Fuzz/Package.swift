// swift-tools-version: 6.0
import PackageDescription

// Library targets under test are the main package's own sources, reached through the
// symlinks in Sources/ (the main package exports no library products, and SwiftPM refuses
// target paths outside the package root). They are compiled here, in the fuzz build, so
// they carry libFuzzer's coverage instrumentation.
let package = Package(
    name: "SpiglassFuzz",
    targets: [
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "SpiglassCapture", dependencies: ["CPcap"]),
        .target(name: "SpiglassCrypto", dependencies: ["CCrypto"]),
        .target(name: "SpiglassWire"),
        .target(name: "SpiglassSAD", dependencies: ["SpiglassWire"]),
        .target(name: "SpiglassESP", dependencies: ["SpiglassSAD", "SpiglassCrypto", "SpiglassWire"]),
        .target(
            name: "SpiglassIKE", dependencies: ["SpiglassSAD", "SpiglassCrypto", "SpiglassWire", "SpiglassCapture"]),
        .target(
            name: "SpiglassAnalysis",
            dependencies: ["SpiglassCapture", "SpiglassWire", "SpiglassSAD", "SpiglassESP", "SpiglassIKE"]),
        .target(
            name: "FuzzHarness",
            dependencies: [
                "SpiglassWire", "SpiglassSAD", "SpiglassESP", "SpiglassIKE", "SpiglassAnalysis", "SpiglassCapture",
            ]),
        // One libFuzzer executable per target: a single file defining LLVMFuzzerTestOneInput.
        // Built by run.sh with --sanitize=fuzzer, under which SwiftPM compiles it with
        // -parse-as-library and keeps its own `main` out of the way: libFuzzer has main.
        .executableTarget(name: "fuzz-wire", dependencies: ["FuzzHarness"]),
        .executableTarget(name: "fuzz-esp", dependencies: ["FuzzHarness"]),
        .executableTarget(name: "fuzz-ikev2", dependencies: ["FuzzHarness"]),
        .executableTarget(name: "fuzz-fragments", dependencies: ["FuzzHarness"]),
        .executableTarget(name: "fuzz-keyfiles", dependencies: ["FuzzHarness"]),
        .executableTarget(name: "fuzz-tcp", dependencies: ["FuzzHarness"]),
        // Writes corpus/ from the fixtures; built without sanitizers (run.sh --seeds).
        .executableTarget(
            name: "fuzz-seeds",
            dependencies: [
                "FuzzHarness", "SpiglassCapture", "SpiglassESP", "SpiglassIKE", "SpiglassSAD", "SpiglassWire",
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
