import SpiglassCrypto

/// The report's Content-Security-Policy: nothing is loaded from anywhere (no network, no other
/// file, no data: URL), and only the report's own style sheet and script apply, named by their
/// SHA-256 (CSP 3 hash sources). Markup a capture managed to smuggle in would still neither run
/// a script, nor load an image, nor submit a form.
enum ContentSecurityPolicy {
    static func policy(style: String, script: String) -> String {
        "default-src 'none'; script-src \(source(script)); style-src \(source(style)); img-src 'none'; "
            + "font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
    }

    /// `'sha256-…'` of `text` as the browser hashes it (its UTF-8 bytes).
    static func source(_ text: String) -> String {
        // SHA-256 of a short static string: OpenSSL does not fail here short of a broken install,
        // and then no script or style runs, which is the safe way round.
        let digest = (try? Digest.hash(.sha256, Array(text.utf8))) ?? []
        return "'sha256-\(base64(digest))'"
    }

    /// RFC 4648 base64 with padding.
    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value = 0
            for (offset, byte) in chunk.enumerated() { value |= Int(byte) << (16 - 8 * offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : "=")
            }
            index += 3
        }
        return out
    }
}
