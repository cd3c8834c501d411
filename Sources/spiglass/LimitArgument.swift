import ArgumentParser
import SpiglassAnalysis

/// One `--limit NAME=VALUE`, read once when the arguments are parsed. A setting that cannot
/// be read keeps its reason, for `CaptureOptions.validate()` to give as a usage error in its
/// own words (a parse failure here would only say that the value is invalid).
struct LimitArgument: ExpressibleByArgument {
    let parsed: Result<ResourceLimitSetting, ResourceLimitError>

    init(argument: String) {
        parsed = Result { () throws(ResourceLimitError) in try ResourceLimitSetting(argument) }
    }
}
