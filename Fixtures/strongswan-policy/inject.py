#!/usr/bin/env python3
"""Send the frames a policy check must judge, onto a veth, while the capture runs.

usage: inject.py esp LOG IFACE DST_MAC OUTER_SRC OUTER_DST SPEC...    (run in the sender's namespace)
       inject.py clear IFACE DST_MAC SPEC...

esp:   ESP-in-UDP (port 4500, as kernel-libipsec sends it) with the keys of the CHILD_SA whose
       outbound SPI goes OUTER_SRC -> OUTER_DST, read from LOG (charon at chd=4). AES-CBC with
       HMAC-SHA2-256-128 only (the fixture's proposal). Inner packets need not fit the
       CHILD_SA's traffic selectors: that is the point.
clear: plain IPv4 packets, as if a host had sent them beside the tunnel.

SPEC is SEQ:SRC:DST:PROTO[:PORT] for esp, SRC:DST:PROTO[:PORT] for clear; PROTO is icmp (an
echo request), udp or tcp (a SYN), PORT the destination port. 'keepalive' in clear sends an
RFC 3948 NAT-keepalive (UDP 4500, one 0xFF byte) from OUTER addresses given as SRC:DST:keepalive.
Everything is deterministic: IVs, IP ids and source ports come from the packet's own fields.
"""
import hashlib
import hmac
import ipaddress
import re
import socket
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, 64, proto, 0,
                         ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def transport(src, dst, proto, port, ident):
    pseudo = ipaddress.IPv4Address(src).packed + ipaddress.IPv4Address(dst).packed
    if proto == "icmp":
        body = struct.pack("!BBHHH", 8, 0, 0, ident & 0xFFFF, 1) + b"spiglass policy fixture"
        body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
        return 1, body
    sport = 40000 + ident % 1000
    if proto == "udp":
        data = b"spiglass policy fixture"
        if port == 53:
            # a real DNS query (spiglass.test A), so that dissectors take it for one
            qname = b"".join(bytes([len(label)]) + label for label in (b"spiglass", b"test")) + b"\0"
            data = struct.pack("!HHHHHH", ident & 0xFFFF, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)
        body = struct.pack("!HHHH", sport, port, 8 + len(data), 0) + data
        csum = checksum(pseudo + struct.pack("!BBH", 0, 17, len(body)) + body) or 0xFFFF
        return 17, body[:6] + struct.pack("!H", csum) + body[8:]
    if proto == "tcp":
        body = struct.pack("!HHIIBBHHH", sport, port, ident, 0, 5 << 4, 0x02, 64240, 0, 0)
        csum = checksum(pseudo + struct.pack("!BBH", 0, 6, len(body)) + body)
        return 6, body[:16] + struct.pack("!H", csum) + body[18:]
    raise SystemExit("unknown protocol " + proto)


def inner_packet(src, dst, proto, port, ident):
    number, body = transport(src, dst, proto, port, ident)
    return ipv4(src, dst, number, body, ident)


def child_keys(log, outer_src, outer_dst):
    """The newest CHILD_SA of the log whose SPI goes outer_src -> outer_dst, with its keys."""
    lines = open(log, errors="replace").read().splitlines()
    found = None
    for i, line in enumerate(lines):
        m = re.search(r"SPI 0x([0-9a-f]{8}), src (\S+) dst (\S+)", line)
        if not m or m.group(2) != outer_src or m.group(3) != outer_dst:
            continue
        # the keys of this SPI's CHILD_SA are the dumps just before, in the same job
        thread = line.split("[")[0].split()[-1]
        keys = {}
        j = i
        while j > 0 and len(keys) < 4:
            j -= 1
            k = re.search(r"(encryption|integrity) (initiator|responder) key => (\d+) bytes", lines[j])
            if k and lines[j].split("[")[0].split()[-1] == thread:
                data = b""
                for row in lines[j + 1:j + 1 + (int(k.group(3)) + 15) // 16]:
                    hexpart = re.search(r"\d+: ((?:[0-9A-F]{2} ?)+)", row).group(1)
                    data += bytes.fromhex(hexpart.replace(" ", ""))
                keys[(k.group(1), k.group(2))] = data[:int(k.group(3))]
        found = (int(m.group(1), 16), keys, i)
    if not found:
        raise SystemExit("no CHILD_SA %s -> %s in %s" % (outer_src, outer_dst, log))
    spi, keys, i = found
    # the initiator's keys protect what the CHILD_SA's initiator sends; this log's host is
    # the initiator when the job parsed the IKE_AUTH/CREATE_CHILD_SA response
    thread = lines[i].split("[")[0].split()[-1]
    role = None
    for line in reversed(lines[:i]):
        m = re.search(r"parsed (?:IKE_AUTH|CREATE_CHILD_SA) (request|response)", line)
        if m and line.split("[")[0].split()[-1] == thread:
            role = "initiator" if m.group(1) == "response" else "responder"
            break
    if role is None:
        raise SystemExit("no IKE_AUTH/CREATE_CHILD_SA exchange before the CHILD_SA in " + log)
    return spi, keys[("encryption", role)], keys[("integrity", role)]


def esp_in_udp(outer_src, outer_dst, spi, seq, inner, enc_key, auth_key):
    pad = (-(len(inner) + 2)) % 16
    plain = inner + bytes(range(1, pad + 1)) + bytes([pad, 4])
    iv = hashlib.sha256(b"iv" + struct.pack("!II", spi, seq)).digest()[:16]
    enc = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).encryptor()
    body = struct.pack("!II", spi, seq) + iv + enc.update(plain) + enc.finalize()
    body += hmac.new(auth_key, body, hashlib.sha256).digest()[:16]
    udp = struct.pack("!HHHH", 4500, 4500, 8 + len(body), 0) + body
    return ipv4(outer_src, outer_dst, 17, udp, seq)


def send(iface, dst_mac, packets):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src_mac = s.getsockname()[4]
    for packet in packets:
        s.send(bytes.fromhex(dst_mac.replace(":", "")) + src_mac + b"\x08\x00" + packet)


def main():
    mode = sys.argv[1]
    if mode == "esp":
        log, iface, mac, outer_src, outer_dst = sys.argv[2:7]
        spi, enc_key, auth_key = child_keys(log, outer_src, outer_dst)
        packets = []
        for spec in sys.argv[7:]:
            seq, src, dst, proto, *port = spec.split(":")
            inner = inner_packet(src, dst, proto, int(port[0]) if port else 0, int(seq))
            packets.append(esp_in_udp(outer_src, outer_dst, spi, int(seq), inner, enc_key, auth_key))
        send(iface, mac, packets)
        print("sent %d ESP packet(s) on SPI 0x%08x" % (len(packets), spi))
    elif mode == "clear":
        iface, mac = sys.argv[2:4]
        packets = []
        for n, spec in enumerate(sys.argv[4:]):
            src, dst, proto, *port = spec.split(":")
            if proto == "keepalive":
                packets.append(ipv4(src, dst, 17, struct.pack("!HHHH", 4500, 4500, 9, 0) + b"\xff", 7000 + n))
            else:
                packets.append(inner_packet(src, dst, proto, int(port[0]) if port else 0, 5000 + n))
        send(iface, mac, packets)
        print("sent %d clear packet(s)" % len(packets))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
