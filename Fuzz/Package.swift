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
        .target(name: "SpiglassIKE", dependencies: ["SpiglassSAD", "SpiglassCrypto", "SpiglassWire"]),
        .target(name: "SpiglassAnalysis",
                dependencies: ["SpiglassCapture", "SpiglassWire", "SpiglassSAD", "SpiglassESP", "SpiglassIKE"]),
        .target(name: "FuzzHarness",
                dependencies: ["SpiglassWire", "SpiglassSAD", "SpiglassESP", "SpiglassIKE", "SpiglassAnalysis", "SpiglassCapture"]),
        .executableTarget(name: "fuzz-wire", dependencies: ["FuzzHarness"]),
    ]
)
