import SpiglassCapture
import SpiglassWire

/// The inputs of the stream being read: each one's link type (nil where unsupported) and its
/// description, and their paths, named in every record when there are several.
struct CaptureInputs {
    var linkTypes: [LinkType?] = [nil]
    var linkTypeDescriptions = [""]
    /// libpcap's DLT_ value of each input (what a -w file with `--keep-outer` names).
    var dlts: [Int32] = []
    var paths: [String] = []

    /// The link type of input `source` (the first input's for an out-of-range number), or
    /// nil when it is not supported.
    func linkType(_ source: Int) -> LinkType? {
        linkTypes[source < linkTypes.count ? source : 0]
    }

    /// The DLT_ value of input `source` (raw IP when unknown).
    func dlt(_ source: Int) -> Int32 {
        source < dlts.count ? dlts[source] : (dlts.first ?? PcapWriter.rawIPLinkType)
    }

    func linkTypeDescription(_ source: Int) -> String {
        linkTypeDescriptions[source < linkTypeDescriptions.count ? source : 0]
    }
}
