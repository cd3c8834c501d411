internal import CCrypto

/// OpenSSL 3 keeps DES, Blowfish and CAST5 in its "legacy" provider, which is not active by
/// default. It is loaded the first time an SA needs one of those ciphers, never before, and
/// with it the "default" provider again (explicitly loading any provider stops OpenSSL from
/// activating the default one on its own).
enum LegacyProvider {
    /// nil once both providers are loaded; otherwise OpenSSL's reason. Swift runs this
    /// initialiser exactly once, on first use, whatever the thread.
    static let failure: String? = {
        guard OSSL_PROVIDER_load(nil, "default") != nil else {
            return CryptoError.openssl("OSSL_PROVIDER_load(default)").reason
        }
        guard OSSL_PROVIDER_load(nil, "legacy") != nil else {
            return CryptoError.openssl("OSSL_PROVIDER_load(legacy)").reason
        }
        // Both stay loaded for the life of the process: nothing to unload.
        return nil
    }()

    /// Throws `.unsupportedAlgorithm` with OpenSSL's reason when the legacy provider is missing.
    static func require(for name: String) throws {
        if let failure {
            throw CryptoError(
                .unsupportedAlgorithm, "\(name) needs OpenSSL's legacy provider, which did not load: \(failure)")
        }
    }

    /// True when DES, Blowfish and CAST5 are usable in this process (loads the provider).
    static var available: Bool { failure == nil }
}

/// Whether OpenSSL's legacy provider (DES, Blowfish, CAST5) can be loaded here. Calling this
/// loads it.
public func legacyCiphersAvailable() -> Bool { LegacyProvider.available }

/// Loads OpenSSL's default provider explicitly, once, and says whether it loaded. Call it before
/// threads share OpenSSL: loading any provider explicitly (the legacy one, when a DES, Blowfish
/// or CAST5 SA turns up) stops OpenSSL from activating the default provider on its own, and a
/// fetch on another thread racing with that load can then find no provider for HMAC or AES.
public func activateDefaultProvider() -> Bool { DefaultProvider.loaded }

enum DefaultProvider {
    /// Swift runs this initialiser exactly once, on first use.
    static let loaded: Bool = OSSL_PROVIDER_load(nil, "default") != nil
}
