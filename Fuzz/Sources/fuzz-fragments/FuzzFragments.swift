import FuzzHarness

/// libFuzzer entry point of the `fragments` target; see FuzzHarness.fragments.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFragments(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.fragments(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
