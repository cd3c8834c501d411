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


def interface_block(linktype, tsresol=None):
    options = b""
    if tsresol is not None:
        options = pcapng_option(9, bytes([tsresol])) + pcapng_option(0, b"")
    return pcapng_block(1, struct.pack("<HHI", linktype, 0, 262144) + options)


def packet_block(interface, timestamp, frame):
    timestamp &= (1 << 64) - 1
    return pcapng_block(6, struct.pack("<IIIII", interface, timestamp >> 32, timestamp & 0xffffffff, len(frame), len(frame)) + frame)


def write_pcapng(path, interfaces, packets):
    """interfaces: [(linktype, if_tsresol or None)]; packets: (interface, 64-bit timestamp
    in that interface's units, bytes)."""
    blocks = [pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    blocks += [interface_block(linktype, tsresol) for linktype, tsresol in interfaces]
    blocks += [packet_block(interface, timestamp, frame) for interface, timestamp, frame in packets]
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


# --- hostile identities ----------------------------------------------------------------------

# What a terminal acts on, and what spoofs a reader: OSC (window title) ended by BEL, CSI
# (clear screen, colours) in its 7-bit and C1 forms, OSC/ST in C1, RLO, NEL, LS, PS, and DN
# separators inside a value.
OSC_TITLE = "\x1b]0;pwned\x07"
CLEAR_RED = "\x1b[2J\u009b31m"
C1_TITLE = "\u009d0;owned\u009c"
RLO = "\u202etxt.exe"
BREAKS = "a\u0085b\u2028c\u2029d\ne"
SPOOF = ", CN=admin"
# One base letter with 20,000 combining acute accents: a 40 KB line as text.
ZALGO = "Z" + "\u0301" * 20000


def der(tag, content):
    if len(content) < 0x80:
        length = bytes([len(content)])
    elif len(content) < 0x100:
        length = bytes([0x81, len(content)])
    elif len(content) < 0x10000:
        length = bytes([0x82]) + struct.pack(">H", len(content))
    else:
        length = bytes([0x83]) + len(content).to_bytes(3, "big")
    return bytes([tag]) + length + content


def dn(*attributes):
    """A DER Name from (OID bytes, UTF8String text) pairs, one RDN each."""
    rdns = b"".join(der(0x31, der(0x30, der(0x06, oid) + der(0x0c, text.encode("utf-8")))) for oid, text in attributes)
    return der(0x30, rdns)


CN, O, OU, C = b"\x55\x04\x03", b"\x55\x04\x0a", b"\x55\x04\x0b", b"\x55\x04\x06"
HOSTILE_DN = dn((C, "CH"), (O, "Evil" + OSC_TITLE + CLEAR_RED), (OU, C1_TITLE + RLO), (OU, BREAKS), (CN, "moon" + SPOOF))
ZALGO_DN = dn((C, "CH"), (CN, ZALGO))


def payload_chain(data, first, start):
    """[(type, next, offset, length)] of the generic payload headers from `start`."""
    chain, kind, offset = [], first, start
    while kind != 0 and offset + 4 <= len(data):
        next_kind, length = data[offset], struct.unpack(">H", data[offset + 2:offset + 4])[0]
        chain.append((kind, next_kind, offset, length))
        kind, offset = next_kind, offset + length
    return chain


def generic(kind_next, body):
    return struct.pack(">BBH", kind_next, 0, 4 + len(body)) + body


def rebuild_chain(data, first, start, replace, append):
    """The payloads from `start` with the bodies of `replace` (type -> body) swapped in and
    the (type, body) pairs of `append` added at the end, with every next-payload field set."""
    items = []
    for kind, _, offset, length in payload_chain(data, first, start):
        items.append((kind, replace.get(kind, data[offset + 4:offset + length])))
    items += append
    out = b""
    for index, (kind, body) in enumerate(items):
        out += generic(items[index + 1][0] if index + 1 < len(items) else 0, body)
    return items[0][0], out


def ipv4_checksum(header):
    total = sum(struct.unpack(">%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return struct.pack(">H", ~total & 0xffff)


def reframe(frame, udp_payload):
    """An Ethernet/IPv4/UDP frame with its UDP payload replaced: lengths and the IPv4
    checksum fixed, the UDP checksum left out (0, allowed for IPv4)."""
    ihl = (frame[14] & 0x0f) * 4
    ip = bytearray(frame[14:14 + ihl])
    udp = bytearray(frame[14 + ihl:14 + ihl + 8])
    struct.pack_into(">H", udp, 4, 8 + len(udp_payload))
    struct.pack_into(">H", udp, 6, 0)
    struct.pack_into(">H", ip, 2, ihl + 8 + len(udp_payload))
    struct.pack_into(">H", ip, 10, 0)
    ip[10:12] = ipv4_checksum(bytes(ip))
    return frame[:14] + bytes(ip) + bytes(udp) + udp_payload


def udp_payload(frame):
    ihl = (frame[14] & 0x0f) * 4
    return frame[14 + ihl + 8:]


def ikev1_aggressive():
    """strongSwan's IKEv1 Aggressive Mode (plaintext ID payloads) with a hostile DN as the
    initiator's ID, the stacked marks as the responder's, a text vendor ID with terminal
    sequences, and a plaintext Transaction after it with hostile XAUTH and banner attributes."""
    frames = fixture_frames("strongswan-ikev1/aggressive-psk/capture.pcap")
    out = []
    for number, (frame, identity) in enumerate([(frames[0], HOSTILE_DN), (frames[1], ZALGO_DN)]):
        message = udp_payload(frame)
        header = bytearray(message[:28])
        id_body = struct.pack(">BBH", 9, 17, 500) + identity
        vid = ("strongSwan" + OSC_TITLE + RLO).encode("utf-8")
        first, chain = rebuild_chain(message, header[16], 28, {5: id_body}, [(13, vid)])
        header[16] = first
        struct.pack_into(">I", header, 24, 28 + len(chain))
        out.append(reframe(frame, bytes(header) + chain))
    out += frames[2:3]
    # Transaction (6), not encrypted, from the responder: ATTR(SET) with XAUTH-MESSAGE, a Cisco
    # Unity banner and XAUTH-USER-NAME, all hostile.
    def attribute(kind, text):
        value = text.encode("utf-8")
        return struct.pack(">HH", kind, len(value)) + value
    attributes = attribute(16524, "Enter PIN" + CLEAR_RED + OSC_TITLE) + attribute(28672, "Welcome" + BREAKS + RLO) \
        + attribute(16521, "admin" + C1_TITLE)
    attr = generic(0, struct.pack(">BBH", 3, 0, 0x1234) + attributes)
    cookies = udp_payload(frames[1])[:16]
    isakmp = cookies + struct.pack(">BBBBII", 14, 0x10, 6, 0, 0x0badcafe, 28 + len(attr)) + attr
    out.append(reframe(frames[1], isakmp))
    write_pcap(os.path.join(HERE, "ikev1-aggressive-hostile.pcap"), 1,
               [(1_700_000_000 + i // 1000, (i % 1000) * 1000, frame) for i, frame in enumerate(out)])


def native_keys(path):
    """The fields of the first `ike` line of a native key file."""
    for line in open(path):
        if line.startswith("ike "):
            return dict(field.split("=", 1) for field in line.split()[1:])
    raise SystemExit("no ike line in " + path)


def reseal_ikev2(message, marker, keys, initiator, replace, append, iv_label):
    """An IKEv2 message with an SK payload (AES-CBC-128, HMAC-SHA2-256-128) decrypted with
    `keys`, its inner payloads changed (`rebuild_chain`), and sealed again under a fixed IV."""
    from cryptography.hazmat.primitives import hashes, hmac, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    body = message[len(marker):]
    header = bytearray(body[:28])
    assert header[16] == 46, "the first payload must be SK"
    encryption = bytes.fromhex(keys["sk-ei" if initiator else "sk-er"][2:])
    integrity = bytes.fromhex(keys["sk-ai" if initiator else "sk-ar"][2:])
    inner_first = body[28]
    sk_length = struct.unpack(">H", body[30:32])[0]
    iv, ciphertext = body[32:48], body[48:28 + sk_length - 16]
    decryptor = Cipher(algorithms.AES(encryption), modes.CBC(iv)).decryptor()
    plain = decryptor.update(ciphertext) + decryptor.finalize()
    plain = plain[:len(plain) - plain[-1] - 1]
    first, chain = rebuild_chain(plain, inner_first, 0, replace, append)
    pad = 15 - len(chain) % 16
    plain = chain + b"\0" * pad + bytes([pad])
    iv = hashlib.sha256(iv_label.encode()).digest()[:16]
    encryptor = Cipher(algorithms.AES(encryption), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(plain) + encryptor.finalize()
    sk = struct.pack(">BBH", first, 0, 4 + 16 + len(ciphertext) + 16) + iv + ciphertext
    # The length covers the ICV, which covers everything before it.
    struct.pack_into(">I", header, 24, 28 + len(sk) + 16)
    signed = bytes(header) + sk
    mac = hmac.HMAC(integrity, hashes.SHA256())
    mac.update(signed)
    return marker + signed + mac.finalize()[:16]


def ikev2_auth():
    """strongSwan's IKEv2 IKE_AUTH (rekey-cbc-sha256, keys in its sa.spiglass) re-sealed with a
    hostile DN as IDi, a hostile KEY_ID as IDr and a CP with a hostile APPLICATION_VERSION in
    the request, and the stacked marks as the responder's IDr."""
    case = "strongswan-ike/rekey-cbc-sha256"
    frames = fixture_frames(case + "/capture.pcap")
    keys = native_keys(os.path.join(FIXTURES, case, "sa.spiglass"))
    request, response = udp_payload(frames[2]), udp_payload(frames[3])
    marker = b"\0\0\0\0"
    assert request.startswith(marker) and response.startswith(marker)
    key_id = ("vpn" + OSC_TITLE + CLEAR_RED + RLO + BREAKS).encode("utf-8")
    cp = struct.pack(">BBBB", 1, 0, 0, 0) + struct.pack(">HH", 7, len(key_id)) + key_id
    request = reseal_ikev2(request, marker, keys, True,
                           {35: struct.pack(">BBBB", 9, 0, 0, 0) + HOSTILE_DN, 36: struct.pack(">BBBB", 11, 0, 0, 0) + key_id},
                           [(47, cp)], "hostile IKE_AUTH request")
    response = reseal_ikev2(response, marker, keys, False, {36: struct.pack(">BBBB", 9, 0, 0, 0) + ZALGO_DN}, [],
                            "hostile IKE_AUTH response")
    out = frames[:2] + [reframe(frames[2], request), reframe(frames[3], response)] + frames[4:12]
    write_pcap(os.path.join(HERE, "ikev2-auth-hostile.pcap"), 1,
               [(1_700_000_000 + i // 1000, (i % 1000) * 1000, frame) for i, frame in enumerate(out)])


# What a browser acts on: elements, attributes broken out of by either quote, CDATA and SVG ends,
# character references that must stay text, and a javascript: URL.
HTML_SCRIPT = "<script>alert('idi')</script>"
HTML_BREAKOUT = "\"'><img src=x onerror=alert(1)>]]></svg></title></text>"
HTML_ENTITY = "&lt;b&gt; &amp;amp; javascript:alert(3)//<!--"


def ikev2_auth_html():
    """The re-sealed IKE_AUTH of `ikev2_auth` with markup instead of terminal sequences: IDi an
    RFC822 address holding a script element, IDr a KEY_ID that breaks out of attributes, SVG
    and CDATA, a CP APPLICATION_VERSION and a private notify with markup, and the response's
    IDr an FQDN with entity text; a clear vendor ID with markup in IKE_SA_INIT's request."""
    case = "strongswan-ike/rekey-cbc-sha256"
    frames = fixture_frames(case + "/capture.pcap")
    keys = native_keys(os.path.join(FIXTURES, case, "sa.spiglass"))
    init, request, response = udp_payload(frames[0]), udp_payload(frames[2]), udp_payload(frames[3])
    marker = b"\0\0\0\0"
    header = bytearray(init[:28])
    first, chain = rebuild_chain(init, header[16], 28, {}, [(43, (HTML_SCRIPT + HTML_BREAKOUT).encode("utf-8"))])
    header[16] = first
    struct.pack_into(">I", header, 24, 28 + len(chain))
    init = bytes(header) + chain
    app = (HTML_BREAKOUT + HTML_SCRIPT).encode("utf-8")
    cp = struct.pack(">BBBB", 1, 0, 0, 0) + struct.pack(">HH", 7, len(app)) + app
    notify = struct.pack(">BBH", 0, 0, 40969) + (HTML_SCRIPT + HTML_ENTITY).encode("utf-8")
    request = reseal_ikev2(request, marker, keys, True,
                           {35: struct.pack(">BBBB", 3, 0, 0, 0) + ("a" + HTML_SCRIPT + "@example.com").encode("utf-8"),
                            36: struct.pack(">BBBB", 11, 0, 0, 0) + HTML_BREAKOUT.encode("utf-8")},
                           [(47, cp), (41, notify)], "html IKE_AUTH request")
    response = reseal_ikev2(response, marker, keys, False,
                            {36: struct.pack(">BBBB", 2, 0, 0, 0) + ("gw" + HTML_ENTITY).encode("utf-8")}, [],
                            "html IKE_AUTH response")
    out = [reframe(frames[0], init), frames[1], reframe(frames[2], request), reframe(frames[3], response)] + frames[4:12]
    write_pcap(os.path.join(HERE, "ikev2-auth-html-hostile.pcap"), 1,
               [(1_700_000_000 + i // 1000, (i % 1000) * 1000, frame) for i, frame in enumerate(out)])


# --- containers libpcap reads only in part, or not by itself ------------------------------

def mixed_link_types():
    """A pcapng whose second interface (raw IP, LINKTYPE_RAW) has another link type than its
    first (Ethernet), declared after four frames of the first: libpcap 1.10 reads those four and
    then refuses the rest, as it refuses any pcapng with interfaces of several link types."""
    frames = fixture_frames("strongswan-ike/rekey-cbc-sha256/capture.pcap")
    usec = 1_700_000_000_000_000
    blocks = [pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)), interface_block(1)]
    blocks += [packet_block(0, usec + i * 1000, frame) for i, frame in enumerate(frames[:4])]
    blocks.append(interface_block(101))
    for i, frame in enumerate(frames[4:12]):
        # Alternately on the raw interface (the Ethernet header cut off) and on the first.
        interface = i % 2 == 0
        blocks.append(packet_block(1 if interface else 0, usec + (4 + i) * 1000, frame[14:] if interface else frame))
    open(os.path.join(HERE, "linktypes-mixed.pcapng"), "wb").write(b"".join(blocks))


def gzipped():
    """The rekey fixture gzip-compressed, as captures are often shared (a fixed mtime: the
    same bytes every run)."""
    import gzip
    data = open(os.path.join(FIXTURES, "strongswan-ike/rekey-cbc-sha256/capture.pcap"), "rb").read()
    with open(os.path.join(HERE, "rekey-cbc-sha256.pcap.gz"), "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as compressed:
            compressed.write(data)


def main():
    timestamps()
    mixed_link_types()
    gzipped()
    ikev1_aggressive()
    ikev2_auth()
    ikev2_auth_html()


if __name__ == "__main__":
    main()
