import SpiglassIKE

/// Which colour the `ike` report's outcomes get on a colour terminal (`TextDisplay.paint`):
/// what came up or ended cleanly in green, what failed in red, what the capture leaves open
/// in yellow.
extension IKESAState {
    var style: TextStyle {
        switch self {
        case .established, .rekeyed, .deleted: .good
        case .failed, .noResponse: .failure
        case .negotiating: .warning
        }
    }
}

extension IKEExchangeOutcome {
    var style: TextStyle? {
        switch self {
        case .ok, .oneWay: .good
        case .xauth(let succeeded): succeeded ? .good : .failure
        case .notify(let type): type.isError ? .failure : .warning
        case .childSARefused, .noSAPayloadInResponse, .refusedInInformational, .phase1Incomplete,
            .quickModeUnconfirmed:
            .failure
        case .noResponse, .requestNotCaptured, .responseNotDecrypted, .noDPDAck: .warning
        }
    }
}

extension IKENotifyType {
    /// An error notify (RFC 7296 §3.10.1, RFC 2408 §3.14.1: types below 16384), not a status.
    var isError: Bool {
        switch self {
        case .v1(let type): type.isError
        case .v2(let type): type.isError
        }
    }
}
