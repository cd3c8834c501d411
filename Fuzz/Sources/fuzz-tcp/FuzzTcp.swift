import FuzzHarness

/// libFuzzer entry point of the `tcp` target; see FuzzHarness.tcp.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTcp(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.tcp(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
