#!/usr/bin/env python3
"""Writes the hand-made inputs of Tests/SpiglassTests/FuzzRegressions/ for the targets whose fuzzing
found no crash (esp, fragments, tcp): one input per edge that a past fix or a bound of the code
under test is about, in each target's layout (Fuzz/README.md). FuzzRegressionTests runs them in
`swift test`. Run from the repository root: python3 Fuzz/tools/make_regressions.py"""
import os
import struct

OUT = "Tests/SpiglassTests/FuzzRegressions"
SPLIT = b"SPLT"


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def pattern(n, seed):
    return bytes((seed + i * 37) & 0xFF for i in range(n))


# esp: config (bits 0-3 SA, 4 ESN, 5-6 offset 0/1/8/20, 7 diagnose), 4 bytes ESN high bits, packet.
def esp(config, high, packet):
    return bytes([config]) + struct.pack(">I", high) + packet


def esp_header(spi, seq):
    return struct.pack(">II", spi, seq)


# SA 1 (AES-CBC, HMAC-SHA-256-128) with a wrong ICV, diagnosed: the diagnosis retries the packet
# under every other SA's kept state (round 4 made it stop rebuilding their OpenSSL contexts).
write("esp-icv-failure-diagnosed.bin",
      esp(0x80 | 1, 0, esp_header(0x1001, 1) + pattern(16, 1) + pattern(32, 2) + pattern(16, 3)))
# The ESP header 20 bytes in, with fewer than 8 bytes after it.
write("esp-header-cut-at-offset-20.bin", esp(0x60, 0, pattern(20, 4) + b"\x00\x00\x10"))
# ESN at the wrap of the high bits (0xffffffff, low 0) on AES-GCM-16.
write("esp-esn-high-bits-wrap.bin",
      esp(0x10 | 2, 0xFFFFFFFF, esp_header(0x1002, 0) + pattern(8, 5) + pattern(16, 6) + pattern(16, 7)))
# AES-CBC without integrity: the ciphertext decrypts to garbage, which is diagnosed as garbled.
write("esp-no-icv-garbled-diagnosed.bin",
      esp(0x80 | 14, 0, esp_header(0x100E, 9) + pattern(16, 8) + pattern(48, 9)))


# fragments: config (bit 0 tight limits, bits 1-2 step 1 ms / 0.7 s / 61 s / none), packets.
def checksum(header):
    total = sum(struct.unpack(">%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ipv4_fragment(ident, offset_bytes, more, payload, protocol=50):
    flags = (0x2000 if more else 0) | (offset_bytes // 8)
    header = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, protocol, 0,
                         bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
    header = header[:10] + struct.pack(">H", checksum(header)) + header[12:]
    return header + payload


def ipv6_fragment(ident, offset_bytes, more, payload, next_header=50):
    fragment = struct.pack(">BBHI", next_header, 0, (offset_bytes // 8) << 3 | (1 if more else 0), ident)
    body = fragment + payload
    return struct.pack(">IHBB16s16s", 0x60000000, len(body), 44, 64,
                       bytes.fromhex("20010db8000000000000000000000001"),
                       bytes.fromhex("20010db8000000000000000000000002")) + body


# Tight limits (8 fragments, 2 KiB): eleven overlapping fragments of one datagram.
overlapping = [ipv4_fragment(7, off, True, pattern(64, off)) for off in range(0, 11 * 40, 40)]
write("fragments-overlapping-past-tight-limits.bin", b"\x01" + SPLIT.join(overlapping))
# 61 s between fragments: the first expires before the last arrives; an IPv6 datagram likewise.
write("fragments-expire-between-halves.bin", b"\x04" + SPLIT.join([
    ipv4_fragment(8, 0, True, pattern(32, 1)), ipv4_fragment(8, 32, False, pattern(32, 2)),
    ipv6_fragment(9, 0, True, pattern(48, 3)), ipv6_fragment(9, 48, False, pattern(48, 4))]))
# IPv6 fragments whose last one ends past 65,535 bytes, and an atomic fragment (offset 0, M=0).
write("fragments-ipv6-past-65535.bin", b"\x06" + SPLIT.join([
    ipv6_fragment(10, 0, True, pattern(64, 5)), ipv6_fragment(10, 65528, False, pattern(64, 6)),
    ipv6_fragment(11, 0, False, pattern(40, 7))]))


# tcp: config (bit 0 tight limits), then units: connection byte, TCP header, payload.
def tcp(connection, seq, payload=b"", syn=False, fin=False):
    flags = (0x02 if syn else 0) | (0x01 if fin else 0) | (0x18 if payload else 0x10)
    header = struct.pack(">HHIIBBHHH", 50000, 4500, seq, 0, 5 << 4, flags, 65535, 0, 0)
    return bytes([connection]) + header + payload


# RFC 8229: "IKETCP", then a length field of 1 (shorter than itself): the stream is out of step.
write("tcp-length-shorter-than-its-field.bin", b"\x00" + SPLIT.join([
    tcp(0, 999, syn=True), tcp(0, 1000, b"IKETCP" + b"\x00\x01" + pattern(40, 1)),
    tcp(0, 1048, b"\x00\x20\x00\x00\x00\x00" + pattern(26, 2))]))
# Tight limits (4 segments beyond a gap): six segments after a missing one, then the missing one.
beyond = [tcp(1, 1100 + 100 * i, b"\x00\x64" + pattern(98, i)) for i in range(1, 7)]
write("tcp-segments-beyond-a-gap.bin", b"\x01" + SPLIT.join(
    [tcp(1, 1099, syn=True)] + beyond + [tcp(1, 1100, b"\x00\x64" + pattern(98, 0))]))
# A message cut by FIN halfway, then the connection reused from a SYN.
write("tcp-fin-mid-message.bin", b"\x00" + SPLIT.join([
    tcp(2, 5, syn=True), tcp(2, 6, b"\x01\x00" + pattern(30, 3)), tcp(2, 38, fin=True),
    tcp(2, 7000, syn=True), tcp(2, 7001, b"\x00\x0c" + esp_header(0x1000, 1) + b"\x00\x00")]))
