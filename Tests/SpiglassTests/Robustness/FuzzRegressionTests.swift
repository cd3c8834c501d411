import Foundation
import Testing

/// Inputs on which a fuzz target (Fuzz/) trapped, kept so that each bug stays fixed, and for the
/// targets that never trapped, inputs at the edges their code bounds (written by
/// Fuzz/tools/make_regressions.py, or cut from Fixtures/hostile). Every
/// file in FuzzRegressions/, named `<target>-<what>.bin`, runs through the entry point of its
/// fuzz target: `FuzzHarness`, the same code the libFuzzer executables call, which this test
/// target compiles through the symlink FuzzHarness → ../../Fuzz/Sources/FuzzHarness.
/// A regression traps the test process, so the suite fails loudly rather than by assertion.
@Suite struct FuzzRegressionTests {
    static let directory = Paths.root + "/Tests/SpiglassTests/FuzzRegressions"

    static let savedInputs: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".bin") }.sorted()
    }()

    static func target(of name: String) -> String? {
        guard let dash = name.firstIndex(of: "-") else { return nil }
        let target = String(name[..<dash])
        return FuzzHarness.targets.contains(target) ? target : nil
    }

    /// The folder is there and holds inputs for every target: a folder moved, emptied or
    /// misnamed fails here, rather than leaving the parameterised test below with nothing to run.
    @Test func everyTargetHasSavedInputs() {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: Self.directory, isDirectory: &isDirectory)
        #expect(exists && isDirectory.boolValue, "\(Self.directory) is missing")
        for target in FuzzHarness.targets {
            let saved = Self.savedInputs.contains { Self.target(of: $0) == target }
            #expect(saved, "FuzzRegressions/ has no input for \(target)")
        }
    }

    @Test func everySavedInputNamesItsTarget() {
        for name in Self.savedInputs {
            #expect(
                Self.target(of: name) != nil,
                "\(name): the name must start with one of \(FuzzHarness.targets) and a dash")
        }
    }

    @Test(arguments: savedInputs)
    func savedCrashInputRunsClean(_ name: String) throws {
        let target = try #require(Self.target(of: name))
        let data = try #require(FileManager.default.contents(atPath: Self.directory + "/" + name))
        FuzzHarness.run(target: target, Array(data))
    }

    /// The committed seed corpus of each target runs clean too: the harness stays in step with
    /// the code it calls, and a trap on a fixture-made input shows here before any fuzzing.
    @Test(arguments: FuzzHarness.targets)
    func seedCorpusRunsClean(_ target: String) throws {
        let dir = Paths.root + "/Fuzz/corpus/" + target
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(!names.isEmpty, "no seeds in Fuzz/corpus/\(target)")
        for name in names {
            let data = try #require(FileManager.default.contents(atPath: dir + "/" + name))
            FuzzHarness.run(target: target, Array(data))
        }
    }

    /// The harness's own input framing: units cut at the separator, and put back together.
    @Test func splitAndJoinAreInverse() {
        let units: [[UInt8]] = [[1, 2, 3], [], [0x53, 0x50, 0x4c], [9]]
        #expect(FuzzHarness.split(FuzzHarness.join(units)[...]) == units)
        #expect(FuzzHarness.split([][...]) == [[]])
    }
}
