import SpiglassCrypto
import SpiglassWire

/// RFC 7296 2.23: NAT_DETECTION_SOURCE_IP / _DESTINATION_IP carry
/// SHA-1(SPIi | SPIr | IP address | port) as the sender saw the addresses. A hash that does
/// not match the address the capture shows means a NAT rewrote that address between the
/// sender and the capture point, or between the capture point and the receiver.
enum NATDetection {
    /// Whether a message's NAT_DETECTION_SOURCE_IP and _DESTINATION_IP hashes match the
    /// addresses seen (nil when the message carries no such notify).
    struct Check {
        var sourceMatches: Bool?
        var destinationMatches: Bool?
    }

    static func hash(initiatorSPI: UInt64, responderSPI: UInt64, address: IPAddress, port: UInt16) -> [UInt8]? {
        try? Digest.hash(
            .sha1, input(initiatorSPI: initiatorSPI, responderSPI: responderSPI, address: address, port: port))
    }

    /// SPIi | SPIr | address | port: what IKEv2's NAT_DETECTION hashes and IKEv1's NAT-D
    /// (RFC 3947 3.2, with the cookies) both cover.
    static func input(initiatorSPI: UInt64, responderSPI: UInt64, address: IPAddress, port: UInt16) -> [UInt8] {
        var input = [UInt8]()
        input.reserveCapacity(36)
        for shift in stride(from: 56, through: 0, by: -8) {
            input.append(UInt8((initiatorSPI >> UInt64(shift)) & 0xff))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            input.append(UInt8((responderSPI >> UInt64(shift)) & 0xff))
        }
        input += address.bytes
        input.append(UInt8(port >> 8))
        input.append(UInt8(port & 0xff))
        return input
    }

    /// For one IKE_SA_INIT message: whether its source and destination hashes match the
    /// addresses seen (nil when the message carries no such notify).
    static func check(_ message: IKEMessageRecord) -> Check {
        let spiI = message.header.initiatorSPI
        let spiR = message.header.responderSPI
        var source: Bool? = nil
        var destination: Bool? = nil
        for notify in message.notifies {
            switch notify.notifyType {
            case .natDetectionSourceIP:
                let expected = hash(
                    initiatorSPI: spiI, responderSPI: spiR, address: message.source, port: message.sourcePort)
                source = (source ?? false) || expected == notify.data
            case .natDetectionDestinationIP:
                let expected = hash(
                    initiatorSPI: spiI, responderSPI: spiR, address: message.destination, port: message.destinationPort)
                destination = (destination ?? false) || expected == notify.data
            default:
                continue
            }
        }
        return Check(sourceMatches: source, destinationMatches: destination)
    }
}
