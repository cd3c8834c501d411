import FuzzHarness

/// libFuzzer entry point of the `esp` target; see FuzzHarness.esp.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEsp(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.esp(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
