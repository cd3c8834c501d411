#!/usr/bin/env python3
"""A responder that answers every copy of a retransmitted IKE_SA_INIT request afresh, with a
new SPI and nonce each time (Libreswan does), made from a real strongSwan capture:

    fresh-answers.py CAPTURE OUT

CAPTURE must start with an IKEv2 IKE_SA_INIT request and its response (Ethernet, IPv4, UDP
500). OUT holds: the request; an answer with another responder SPI (0x1111111111111111) and
another nonce (the real one with every byte inverted); the request again 1 s later; the real
response; then the rest of CAPTURE, 1 s later than it was. The initiator goes on (IKE_AUTH)
with the real response, the second answer: a reader must take that answer's SPI and nonce.
"""

import struct
import sys

OTHER_SPI = bytes.fromhex("1111111111111111")


def read(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B2C3D4, "a little-endian microsecond pcap is expected"
    frames, offset = [], 24
    while offset < len(data):
        seconds, micros, captured, original = struct.unpack("<IIII", data[offset:offset + 16])
        frames.append([seconds, micros, bytearray(data[offset + 16:offset + 16 + captured]), original])
        offset += 16 + captured
    return data[:24], frames


def ike_offset(frame):
    """Ethernet, IPv4 (any header length), UDP: where the IKE header starts."""
    assert frame[12:14] == b"\x08\x00" and frame[23] == 17
    return 14 + (frame[14] & 15) * 4 + 8


def other_answer(frame):
    out = bytearray(frame)
    ike = ike_offset(out)
    out[ike + 8:ike + 16] = OTHER_SPI
    # Walk the payload chain (RFC 7296 3.2) to the Nonce (40) and invert its data.
    next_payload, cursor = out[ike + 16], ike + 28
    while next_payload != 0:
        length = struct.unpack("!H", out[cursor + 2:cursor + 4])[0]
        if next_payload == 40:
            for index in range(cursor + 4, cursor + length):
                out[index] ^= 0xFF
        next_payload, cursor = out[cursor], cursor + length
    udp = ike - 8
    out[udp + 6:udp + 8] = b"\0\0"  # no UDP checksum (RFC 768) rather than a wrong one
    return out


def main():
    header, frames = read(sys.argv[1])
    request, response = frames[0], frames[1]
    later = lambda f: [f[0] + 1, f[1], f[2], f[3]]
    out = [request, [response[0], response[1], other_answer(response[2]), response[3]],
           later(request), later(response)] + [later(f) for f in frames[2:]]
    with open(sys.argv[2], "wb") as f:
        f.write(header)
        for seconds, micros, data, original in out:
            f.write(struct.pack("<IIII", seconds, micros, len(data), len(data) if original == len(data) else original))
            f.write(data)


if __name__ == "__main__":
    main()
