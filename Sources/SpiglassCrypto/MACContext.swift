internal import CCrypto

/// The hash functions behind ESP's HMAC integrity transforms.
public enum HashFunction: String, Sendable, Equatable {
    case md5 = "MD5"
    case sha1 = "SHA1"
    case sha256 = "SHA2-256"
    case sha384 = "SHA2-384"
    case sha512 = "SHA2-512"

    public var digestLength: Int {
        switch self {
        case .md5: return 16
        case .sha1: return 20
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }
}

/// One keyed HMAC `EVP_MAC_CTX`. `EVP_MAC_init` with a NULL key re-initialises from the
/// stored key, so per-packet work is the hashing alone.
public final class HMACContext: TruncatedMAC {
    public let hash: HashFunction
    private let mac: OpaquePointer
    private let context: OpaquePointer
    private var digest: [UInt8]

    /// `key` is read in place when contiguous (`[UInt8]`, `SecretBytes`, their slices).
    public init(_ hash: HashFunction, key: some Collection<UInt8>) throws {
        (mac, context) = try makeMACContext("HMAC")
        self.hash = hash
        self.digest = [UInt8](repeating: 0, count: 64)
        let ok = initializeMAC(context, parameter: OSSL_MAC_PARAM_DIGEST, value: hash.rawValue, key: key)
        guard ok == 1 else { throw CryptoError.openssl("EVP_MAC_init(HMAC-\(hash.rawValue))") }
    }

    deinit {
        // The last MAC: in a PRF, key material (a prf+ block).
        cleanse(&digest)
        EVP_MAC_CTX_free(context)
        EVP_MAC_free(mac)
    }

    public var fullLength: Int { hash.digestLength }

    public func fullMAC(data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>) throws -> [UInt8]
    {
        try fullDigest(data: data, range: range, trailer: trailer, trailerRange: trailerRange)
        return digest
    }

    private func fullDigest(data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>) throws {
        try evpMACDigest(context, data: data, range: range, trailer: trailer, trailerRange: trailerRange, into: &digest)
    }
}

/// Re-initialises a keyed `EVP_MAC_CTX` from its stored key (NULL key), feeds `data[range]`
/// and `trailer[trailerRange]`, and writes the MAC to the start of `digest`. Ranges are
/// checked by the callers.
private func evpMACDigest(
    _ context: OpaquePointer, data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>,
    into digest: inout [UInt8]
) throws {
    guard EVP_MAC_init(context, nil, 0, nil) == 1 else { throw CryptoError.openssl("EVP_MAC_init") }
    if !range.isEmpty {
        let ok = data.withUnsafeBufferPointer {
            EVP_MAC_update(context, $0.baseAddress! + range.lowerBound, range.count)
        }
        guard ok == 1 else { throw CryptoError.openssl("EVP_MAC_update") }
    }
    if !trailerRange.isEmpty {
        let ok = trailer.withUnsafeBufferPointer {
            EVP_MAC_update(context, $0.baseAddress! + trailerRange.lowerBound, trailerRange.count)
        }
        guard ok == 1 else { throw CryptoError.openssl("EVP_MAC_update") }
    }
    let capacity = digest.count
    let ok = digest.withUnsafeMutableBufferPointer { out -> Int32 in
        var written = 0
        return EVP_MAC_final(context, out.baseAddress, &written, capacity)
    }
    guard ok == 1 else { throw CryptoError.openssl("EVP_MAC_final") }
}

/// AES-CMAC (RFC 4493) through OpenSSL's EVP_MAC "CMAC" with AES-128-CBC: one keyed
/// `EVP_MAC_CTX` per SA, re-initialised from its stored key for each packet.
/// AES-CMAC-96 (RFC 4494) keeps the first 12 bytes.
public final class CMACContext: TruncatedMAC {
    public static let keyLength = 16
    public static let macLength = 16
    private let mac: OpaquePointer
    private let context: OpaquePointer
    private var digest = [UInt8](repeating: 0, count: 16)

    /// `key` is read in place when contiguous (`[UInt8]`, `SecretBytes`, their slices).
    public init(key: some Collection<UInt8>) throws {
        guard key.count == Self.keyLength else {
            throw CryptoError(.invalidKeyLength, "AES-CMAC needs a 16-byte key, got \(key.count)")
        }
        (mac, context) = try makeMACContext("CMAC")
        let ok = initializeMAC(context, parameter: OSSL_MAC_PARAM_CIPHER, value: "AES-128-CBC", key: key)
        guard ok == 1 else { throw CryptoError.openssl("EVP_MAC_init(CMAC AES-128-CBC)") }
    }

    deinit {
        cleanse(&digest)
        EVP_MAC_CTX_free(context)
        EVP_MAC_free(mac)
    }

    public var fullLength: Int { Self.macLength }

    public func fullMAC(data: [UInt8], range: Range<Int>, trailer: [UInt8], trailerRange: Range<Int>) throws -> [UInt8]
    {
        try evpMACDigest(context, data: data, range: range, trailer: trailer, trailerRange: trailerRange, into: &digest)
        return digest
    }
}

/// A fresh `EVP_MAC_CTX` for the MAC `name` ("HMAC", "CMAC"), with the fetched MAC it holds.
private func makeMACContext(_ name: String) throws -> (mac: OpaquePointer, context: OpaquePointer) {
    guard let mac = EVP_MAC_fetch(nil, name, nil) else { throw CryptoError.openssl("EVP_MAC_fetch(\(name))") }
    guard let context = EVP_MAC_CTX_new(mac) else {
        EVP_MAC_free(mac)
        throw CryptoError.openssl("EVP_MAC_CTX_new")
    }
    return (mac, context)
}

/// Keys `context` with `key` (read in place when contiguous) and one string parameter, the
/// digest or cipher name. Both strings are C strings of our own for as long as the call
/// needs them: a Swift String passed straight to `OSSL_PARAM_construct_*` is a temporary
/// freed before `EVP_MAC_init` reads it. An empty key (HMAC accepts one) is passed as a
/// non-NULL pointer, as OpenSSL wants.
private func initializeMAC(_ context: OpaquePointer, parameter: String, value: String, key: some Collection<UInt8>)
    -> Int32
{
    parameter.withCString { parameterName in
        value.withCString { valueName -> Int32 in
            var params = [
                OSSL_PARAM_construct_utf8_string(parameterName, UnsafeMutablePointer(mutating: valueName), 0),
                OSSL_PARAM_construct_end(),
            ]
            return withKeyBytes(key) { keyPointer in
                params.withUnsafeMutableBufferPointer { paramPointer in
                    var empty: UInt8 = 0
                    guard let base = keyPointer.baseAddress, !keyPointer.isEmpty else {
                        return EVP_MAC_init(context, &empty, 0, paramPointer.baseAddress)
                    }
                    return EVP_MAC_init(context, base, keyPointer.count, paramPointer.baseAddress)
                }
            }
        }
    }
}
