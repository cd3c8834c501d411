// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Spiglass",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "spiglass", targets: ["spiglass"]),
        .executable(name: "spiglass-bench", targets: ["spiglass-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // C leaf modules: only a module map and a shim header each.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // The only module that imports CPcap.
        .target(name: "SpiglassCapture", dependencies: ["CPcap"]),
        // The only module that imports CCrypto.
        .target(name: "SpiglassCrypto", dependencies: ["CCrypto"]),
        // Pure Swift: link layers, IP, UDP, ESP/AH/IKE headers, reassembly.
        .target(name: "SpiglassWire"),
        // Pure Swift: SA model, algorithms, key-file parsers, lookup.
        .target(name: "SpiglassSAD", dependencies: ["SpiglassWire"]),
        // ESP verification and decryption on top of the crypto wrappers.
        .target(name: "SpiglassESP", dependencies: ["SpiglassSAD", "SpiglassCrypto", "SpiglassWire"]),
        // IKEv2/IKEv1 messages: payload parsing, SK decryption, prf+, exchange reconstruction (at the
        // capture's timestamps, kept to the nanosecond when the capture has them).
        .target(
            name: "SpiglassIKE", dependencies: ["SpiglassSAD", "SpiglassCrypto", "SpiglassWire", "SpiglassCapture"]),
        // The analysis pipeline and its reports; what the CLI runs.
        .target(
            name: "SpiglassAnalysis",
            dependencies: [
                "SpiglassCapture", "SpiglassWire", "SpiglassSAD", "SpiglassESP", "SpiglassIKE", "SpiglassCrypto",
            ]
        ),
        .executableTarget(
            name: "spiglass",
            dependencies: [
                "SpiglassAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "spiglass-bench",
            dependencies: ["SpiglassAnalysis", "SpiglassESP", "SpiglassCapture", "SpiglassCrypto", "SpiglassSAD"]
        ),
        .testTarget(
            name: "SpiglassTests",
            dependencies: [
                "SpiglassCapture", "SpiglassCrypto", "SpiglassWire", "SpiglassSAD", "SpiglassESP",
                "SpiglassIKE", "SpiglassAnalysis",
                // Built so the end-to-end tests can run the real binary.
                "spiglass",
            ],
            exclude: ["Support/firefox_marionette.py"]
        ),
    ]
)
