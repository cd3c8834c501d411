import FuzzHarness

/// libFuzzer entry point of the `wire` target; see FuzzHarness.wire.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.wire(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
