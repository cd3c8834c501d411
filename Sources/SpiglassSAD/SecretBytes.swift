#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Key bytes that are overwritten with zeros when the last copy of them goes away.
///
/// The bytes live in one heap buffer owned by a final class; copies of a `SecretBytes` share
/// it, and its `deinit` wipes it with `explicit_bzero` (which the compiler may not optimise
/// away, unlike a plain store of zeros into memory about to be freed) before freeing it. The
/// value is immutable: a new key is a new value.
///
/// It is a `RandomAccessCollection` of `UInt8` indexed from 0, so `count`, `isEmpty`,
/// `key[a..<b]`, `Array(key)` and iteration work as on `[UInt8]`; `withUnsafeBytes` and
/// `withContiguousStorageIfAvailable` hand the bytes to C (OpenSSL) without a copy. Every
/// `Array(key)` is a copy this type cannot wipe: callers that make one wipe it themselves
/// (`SecretBytes.wipe(_:)`).
///
/// Its `description`, `debugDescription` and mirror say only how many bytes it holds, so a
/// key cannot reach output, logs or errors through string interpolation, `print` or `dump`;
/// printing the key itself takes an explicit `Hex.encode(key)` (`spiglass keys export` does).
public struct SecretBytes: Sendable {
    /// The buffer, shared by copies, wiped and freed with the last of them.
    final class Storage: @unchecked Sendable {
        // @unchecked: the bytes are written once, in `init`, and only read afterwards.
        let bytes: UnsafeMutableRawBufferPointer
        /// Test hook: called by `deinit` after wiping and before freeing, with the wiped bytes.
        let wipeObserver: (@Sendable (UnsafeRawBufferPointer) -> Void)?

        /// Bytes in use (the buffer has at least one, so its base address is never nil).
        let count: Int

        init(count: Int, wipeObserver: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil) {
            precondition(count >= 0, "negative key length")
            bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(count, 1), alignment: 16)
            bytes.initializeMemory(as: UInt8.self, repeating: 0)
            self.count = count
            self.wipeObserver = wipeObserver
        }

        deinit {
            SecretBytes.wipe(bytes)
            wipeObserver?(UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
            bytes.deallocate()
        }
    }

    let storage: Storage

    /// No bytes (a key that was not given).
    public init() {
        storage = Self.emptyStorage
    }

    /// A copy of `bytes` in storage that is wiped when freed. The source is not wiped; use
    /// `init(wiping:)` for a temporary array that holds the only other copy.
    public init<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if let secret = bytes as? SecretBytes {
            self = secret
            return
        }
        let copied: SecretBytes? = bytes.withContiguousStorageIfAvailable { buffer in
            SecretBytes(copying: UnsafeRawBufferPointer(buffer))
        }
        if let copied {
            self = copied
            return
        }
        var array = Array(bytes)
        self.init(wiping: &array)
    }

    /// A copy of `bytes`, after which `bytes` is overwritten with zeros.
    public init(wiping bytes: inout [UInt8]) {
        self = bytes.withUnsafeBytes { SecretBytes(copying: $0) }
        SecretBytes.wipe(&bytes)
    }

    /// `count` bytes that `body` writes in place (key derivations write straight into the
    /// storage, so that no other copy exists). The buffer starts zeroed.
    public init(count: Int, initializingWith body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        if count == 0 {
            storage = Self.emptyStorage
            return
        }
        let storage = Storage(count: count)
        try body(UnsafeMutableRawBufferPointer(rebasing: storage.bytes[0..<count]))
        self.storage = storage
    }

    /// For tests: `observer` sees the bytes after they are wiped, just before they are freed.
    init(_ bytes: [UInt8], wipeObserver: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        let storage = Storage(count: bytes.count, wipeObserver: wipeObserver)
        bytes.withUnsafeBytes { source in
            if !source.isEmpty { storage.bytes.copyMemory(from: source) }
        }
        self.storage = storage
    }

    private init(copying source: UnsafeRawBufferPointer) {
        if source.isEmpty {
            storage = Self.emptyStorage
            return
        }
        let storage = Storage(count: source.count)
        storage.bytes.copyMemory(from: source)
        self.storage = storage
    }

    private static let emptyStorage = Storage(count: 0)

    /// The same bytes in a buffer of their own, empty or not, so that worker threads do not
    /// share its reference count.
    public func unshared() -> SecretBytes {
        let storage = Storage(count: count)
        withUnsafeBytes { source in
            if !source.isEmpty { storage.bytes.copyMemory(from: source) }
        }
        return SecretBytes(storage: storage)
    }

    private init(storage: Storage) {
        self.storage = storage
    }

    /// Calls `body` with the bytes, in place.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: storage.bytes[0..<storage.count]))
    }

    /// The key with `transform` applied to each byte: a byte-wise transform of a key is a
    /// key too, so the result stays wiped-on-free (`Sequence.map` would give an array).
    public func map(_ transform: (UInt8) throws -> UInt8) rethrows -> SecretBytes {
        let source = storage
        return try SecretBytes(count: count) { target in
            for i in 0..<source.count { target[i] = try transform(source.bytes[i]) }
        }
    }

    // MARK: Wiping other buffers

    /// Overwrites `buffer` with zeros in a way the optimiser keeps.
    public static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        #if canImport(Glibc)
            explicit_bzero(base, buffer.count)
        #elseif canImport(Darwin)
            _ = memset_s(base, buffer.count, 0, buffer.count)
        #else
            // No primitive the optimiser must keep on this platform: plain stores.
            for i in 0..<buffer.count { buffer.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        #endif
    }

    /// Overwrites the elements of `array` with zeros, in place (the array keeps its count).
    public static func wipe(_ array: inout [UInt8]) {
        array.withUnsafeMutableBytes { wipe($0) }
    }
}

extension SecretBytes: RandomAccessCollection {
    public typealias Index = Int
    public typealias Element = UInt8

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count }
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.count == 0 }

    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < storage.count, "SecretBytes index out of range")
        return storage.bytes[position]
    }

    public func withContiguousStorageIfAvailable<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows
        -> Result?
    {
        try withUnsafeBytes { raw in try body(raw.assumingMemoryBound(to: UInt8.self)) }
    }
}

extension SecretBytes: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: UInt8...) {
        self.init(elements)
    }
}

extension SecretBytes: Equatable, Hashable {
    /// Byte equality, in time that depends on the lengths alone.
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.storage === rhs.storage { return true }
        var difference: UInt8 = 0
        for i in 0..<lhs.count { difference |= lhs.storage.bytes[i] ^ rhs.storage.bytes[i] }
        return difference == 0
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension SecretBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// "<16-byte key>": the length, never the bytes.
    public var description: String { isEmpty ? "<empty key>" : "<\(count)-byte key>" }
    public var debugDescription: String { description }
    /// No children, so `dump` and `Mirror` show the description alone.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: nil) }
}
