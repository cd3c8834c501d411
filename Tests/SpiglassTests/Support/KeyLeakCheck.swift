import Foundation
import SpiglassWire
import Testing

@testable import SpiglassSAD

/// No key may reach an output unless asked for (`keys convert`, `keys export`, `--show-keys`):
/// every CLI run of the test suite has its standard output and error searched for the keys of
/// the key files (and `--key` specs) it was given, in the forms a key is written in (hex of
/// either case, charon's spaced hexdump, colon-separated).
enum KeyLeakCheck {
    /// Runs whose purpose is to print keys.
    static func printsKeysOnPurpose(_ arguments: [String]) -> Bool {
        arguments.contains("--show-keys")
            || (arguments.contains("keys") && (arguments.contains("convert") || arguments.contains("export")))
    }

    /// The key files and inline keys of a command line.
    static func keys(of arguments: [String], directory: String) -> [SecretBytes] {
        var sets: [KeySet] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let next = index + 1 < arguments.count ? arguments[index + 1] : nil
            if argument == "-k", let next {
                let path = next.hasPrefix("/") ? next : directory + "/" + next
                if let keys = try? KeyFileLoader.loadKeys(path: path) { sets.append(keys) }
            } else if argument == "--key", let next, let keys = try? KeyFileLoader.loadInlineKeys(next, index: 1) {
                sets.append(keys)
            } else if argument == "check", index > 0, arguments[index - 1] == "keys" {
                for file in arguments[(index + 1)...] where !file.hasPrefix("-") {
                    let path = file.hasPrefix("/") ? file : directory + "/" + file
                    if let keys = try? KeyFileLoader.loadKeys(path: path) { sets.append(keys) }
                }
            }
            index += 1
        }
        var secrets: [SecretBytes] = []
        for set in sets {
            for sa in set.sas { secrets += [sa.encryptionKey, sa.integrityKey] }
            for sa in set.ikeSAs {
                secrets += [
                    sa.skD, sa.skEi, sa.skEr, sa.skAi, sa.skAr, sa.skPi, sa.skPr, sa.ikev1EncryptionKey,
                    sa.skeyid, sa.skeyidD, sa.skeyidA, sa.skeyidE,
                ]
            }
        }
        return secrets.filter { $0.count >= 8 }
    }

    /// The forms of a key's first 8 bytes that would give it away.
    static func forms(_ key: SecretBytes) -> [String] {
        let bytes = Array(key.prefix(8))
        let lower = Hex.encode(bytes)
        let pairs = stride(from: 0, to: lower.count, by: 2).map { i -> String in
            let start = lower.index(lower.startIndex, offsetBy: i)
            return String(lower[start..<lower.index(start, offsetBy: 2)])
        }
        return [lower, lower.uppercased(), pairs.joined(separator: " ").uppercased(), pairs.joined(separator: ":")]
    }

    /// Records an issue for every key of the command line that its output shows.
    static func check(_ arguments: [String], directory: String, stdout: String, stderr: String) {
        guard !printsKeysOnPurpose(arguments) else { return }
        let output = stdout + "\n" + stderr
        for key in keys(of: arguments, directory: directory) {
            for form in forms(key) where output.contains(form) {
                Issue.record(
                    "spiglass \(arguments.joined(separator: " ")): a key's bytes (\(form.prefix(4))…) appear in its output"
                )
                return
            }
        }
    }
}
