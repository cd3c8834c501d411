#!/usr/bin/env python3
"""Builds the hostile captures of this folder from the real ones of ../strongswan-ike,
../strongswan-ikev1 and ../scapy: what an attacker hands an engineer to read with Spiglass.
Deterministic (fixed bytes, no randomness): two runs give identical files. Needs python3 and
the `cryptography` package (for the re-sealed IKEv2 message only). See README.md."""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)


# --- capture files -------------------------------------------------------------------------

def read_pcap(path):
    """(linktype, [(seconds, microseconds, frame bytes)]) of a little- or big-endian pcap."""
    data = open(path, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    _, _, _, _, _, linktype = struct.unpack(endian + "HHiIII", data[4:24])
    frames, offset = [], 24
    while offset + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        frames.append((sec, usec, data[offset + 16:offset + 16 + caplen]))
        offset += 16 + caplen
    return linktype, frames


def write_pcap(path, linktype, records):
    """records: (seconds, microseconds field, bytes); the microseconds are written as given,
    even when out of range, which is the point of some of these files."""
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype)]
    for sec, usec, frame in records:
        out.append(struct.pack("<IIII", sec & 0xffffffff, usec & 0xffffffff, len(frame), len(frame)) + frame)
    open(path, "wb").write(b"".join(out))


def pcapng_block(block_type, body):
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


def pcapng_option(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def write_pcapng(path, interfaces, packets):
    """interfaces: [(linktype, if_tsresol or None)]; packets: (interface, 64-bit timestamp
    in that interface's units, bytes)."""
    blocks = [pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    for linktype, tsresol in interfaces:
        options = b""
        if tsresol is not None:
            options = pcapng_option(9, bytes([tsresol])) + pcapng_option(0, b"")
        blocks.append(pcapng_block(1, struct.pack("<HHI", linktype, 0, 262144) + options))
    for interface, timestamp, frame in packets:
        timestamp &= (1 << 64) - 1
        blocks.append(pcapng_block(6, struct.pack("<IIIII", interface, timestamp >> 32, timestamp & 0xffffffff,
                                                  len(frame), len(frame)) + frame))
    open(path, "wb").write(b"".join(blocks))


def fixture_frames(relative):
    linktype, frames = read_pcap(os.path.join(FIXTURES, relative))
    assert linktype == 1, relative
    return [frame for _, _, frame in frames]


# --- timestamps ----------------------------------------------------------------------------

def timestamps():
    """A pcapng whose interface counts time in seconds (if_tsresol=0) with timestamps at and
    around the ends of a 64-bit microsecond count, over frames of every kind Spiglass
    subtracts times for: IKEv2 (exchange round trips), IP fragments (reassembly timeout),
    ESP (flow first/last seen). And a pcap whose microsecond fields are 1,000,000 and
    0xffffffff."""
    ike = fixture_frames("strongswan-ike/rekey-cbc-sha256/capture.pcap")
    fragments = fixture_frames("scapy/fragmented.pcap")
    limit = (1 << 63) // 1_000_000   # 9223372036854 s: the last second whose microseconds fit
    seconds = [limit, limit + 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 0, limit, (1 << 63) + 5,
               1_700_000_000, -limit - 1, 253402300799, 253402300800, -62167219200, -62167219201]
    frames = ike[:4] + fragments[:6] + ike[4:8]
    packets = [(0, seconds[i % len(seconds)], frame) for i, frame in enumerate(frames)]
    write_pcapng(os.path.join(HERE, "timestamps-tsresol0.pcapng"), [(1, 0)], packets)

    records = [(1_700_000_000, 1_000_000, ike[0]), (1_700_000_000, 0xffffffff, ike[1]),
               (1_700_000_001, 999_999, ike[2]), (0xffffffff, 0xffffffff, ike[3])]
    write_pcap(os.path.join(HERE, "timestamps-usec.pcap"), 1, records)


def main():
    timestamps()


if __name__ == "__main__":
    main()
