import FuzzHarness

/// libFuzzer entry point of the `ikev2` target; see FuzzHarness.ikev2.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIkev2(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.ikev2(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
