import SpiglassWire

/// The inputs of the stream being read: each one's link type (nil where unsupported) and its
/// description, and their paths, named in every record when there are several.
struct CaptureInputs {
    var linkTypes: [LinkType?] = [nil]
    var linkTypeDescriptions = [""]
    var paths: [String] = []

    /// The link type of input `source` (the first input's for an out-of-range number), or
    /// nil when it is not supported.
    func linkType(_ source: Int) -> LinkType? {
        linkTypes[source < linkTypes.count ? source : 0]
    }

    func linkTypeDescription(_ source: Int) -> String {
        linkTypeDescriptions[source < linkTypeDescriptions.count ? source : 0]
    }
}
