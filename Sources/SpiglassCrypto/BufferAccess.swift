internal import CCrypto

/// Bounds checks shared by the context wrappers: every range handed to OpenSSL is checked
/// here first, so the pointer arithmetic inside the wrappers cannot leave its array.
@inline(__always)
func checkRange(_ range: Range<Int>, in count: Int, _ what: String) throws {
    guard range.lowerBound >= 0, range.upperBound <= count else {
        throw CryptoError(.invalidLength, "\(what) range \(range) outside buffer of \(count) bytes")
    }
}

/// Calls `body` with the key's bytes in place: `[UInt8]`, `SecretBytes` and their slices
/// are contiguous, so OpenSSL reads the caller's buffer and no copy of the key is made. Any
/// other collection is copied into an array that is wiped before it is freed.
func withKeyBytes<Key: Collection<UInt8>, Result>(_ key: Key, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result)
    rethrows -> Result
{
    if let result = try key.withContiguousStorageIfAvailable(body) { return result }
    var copy = Array(key)
    defer { cleanse(&copy) }
    return try copy.withUnsafeBufferPointer(body)
}

/// Overwrites the bytes of `buffer` with zeros (`OPENSSL_cleanse`, which the optimiser
/// keeps). For key material in arrays the wrappers own; the array must be uniquely
/// referenced, or only a fresh copy would be wiped.
func cleanse(_ buffer: inout [UInt8]) {
    buffer.withUnsafeMutableBytes { bytes in
        if let base = bytes.baseAddress, bytes.count > 0 { OPENSSL_cleanse(base, bytes.count) }
    }
}

/// A new `EVP_CIPHER_CTX` keyed for `cipher`, after checking the key length; the one place
/// both context classes create their OpenSSL state. The context is freed if keying fails.
///
/// `variableKeyLength` is for ciphers whose key length is a parameter (Blowfish, CAST5), and
/// `configure` for settings OpenSSL fixes when the key is set (CCM's nonce and tag lengths):
/// the context is created for the cipher first, configured, then keyed.
/// `name` is only for error messages: made when one is thrown (describing the algorithm by
/// reflection costs more than keying the context).
func makeKeyedContext<Key: Collection<UInt8>>(
    _ cipher: OpaquePointer?, key: Key, keyLength: Int, encrypt: Bool, name: @autoclosure () -> String,
    variableKeyLength: Bool = false, configure: ((OpaquePointer) -> Bool)? = nil
) throws -> OpaquePointer {
    guard key.count == keyLength else {
        throw CryptoError(.invalidKeyLength, "\(name()) needs a \(keyLength)-byte key, got \(key.count)")
    }
    guard let cipher else {
        throw CryptoError(.invalidKeyLength, "no OpenSSL cipher for \(name()): key sizes are 16, 24 or 32 bytes")
    }
    guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError.openssl("EVP_CIPHER_CTX_new") }
    let twoStep = variableKeyLength || configure != nil
    if twoStep {
        guard EVP_CipherInit_ex2(context, cipher, nil, nil, encrypt ? 1 : 0, nil) == 1,
            !variableKeyLength || EVP_CIPHER_CTX_set_key_length(context, Int32(keyLength)) == 1,
            configure?(context) ?? true
        else {
            EVP_CIPHER_CTX_free(context)
            throw CryptoError.openssl("setting up \(name()) before its key")
        }
    }
    let ok = withKeyBytes(key) { keyPointer in
        EVP_CipherInit_ex2(context, twoStep ? nil : cipher, keyPointer.baseAddress, nil, encrypt ? 1 : 0, nil)
    }
    guard ok == 1 else {
        EVP_CIPHER_CTX_free(context)
        throw CryptoError.openssl("EVP_CipherInit_ex2(\(name()))")
    }
    return context
}
