import SpiglassCrypto

/// Prepares OpenSSL for use from several threads (see `activateDefaultProvider`). Returns false
/// when the default provider did not load, which leaves every cipher unavailable.
public func prepareCryptoForThreads() -> Bool { activateDefaultProvider() }
