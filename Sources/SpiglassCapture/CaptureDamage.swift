/// Why a capture file was not read to its end, as the reader found it: the reports word it
/// (`CaptureDamageText` in the analysis) from these fields, on one line or laid out.
public struct CaptureDamage: Sendable, Equatable {
    public enum Cause: Sendable, Equatable {
        /// Damage in another's words: libpcap's (a record cut short, a corrupt block), or the
        /// error of a file that would not open again.
        case reported(String)
        /// libpcap's refusal of a pcapng whose interfaces have several link types: a sound
        /// file that libpcap reads no further. The other interface's LINKTYPE when libpcap
        /// named it.
        case mixedLinkTypes(otherLinkType: Int?)
    }

    /// Which file of a stream of several, and how many of its frames were read.
    public struct File: Sendable, Equatable {
        public let path: String
        public let frames: Int

        public init(path: String, frames: Int) {
            self.path = path
            self.frames = frames
        }
    }

    public let cause: Cause
    /// Nil in a stream of one file, whose frames are the stream's.
    public var file: File?

    public init(_ cause: Cause, file: File? = nil) {
        self.cause = cause
        self.file = file
    }

    /// True when the file is sound but libpcap cannot read the rest of it, rather than damaged.
    public var unreadable: Bool {
        if case .mixedLinkTypes = cause { return true }
        return false
    }
}
