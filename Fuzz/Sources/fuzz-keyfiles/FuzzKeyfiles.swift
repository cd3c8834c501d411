import FuzzHarness

/// libFuzzer entry point of the `keyfiles` target; see FuzzHarness.keyfiles.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyfiles(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.keyfiles(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
