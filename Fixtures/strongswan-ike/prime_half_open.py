#!/usr/bin/env python3
"""Leave one half-open responder IKE_SA in a charon: send it a minimal, valid
IKE_SA_INIT request (AES-CBC-128/HMAC-SHA2-256/PRF-HMAC-SHA2-256/Curve25519)
and never continue with IKE_AUTH.  Used by the `cookie` case: with
charon.cookie_threshold = 1 the daemon then demands a COOKIE from the next
initiator.  The request goes to ADDRESS:500 from an ephemeral port; charon needs
a connection that accepts it (the `prime` connection on 127.0.0.1).

usage: prime_half_open.py ADDRESS
"""
import os
import socket
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SA, KE, NONCE = 33, 34, 40


def payload(next_type, body):
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs


transforms = (transform(False, 1, 12, struct.pack("!HH", 0x800E, 128))  # ENCR_AES_CBC 128
              + transform(False, 2, 5)    # PRF_HMAC_SHA2_256
              + transform(False, 3, 12)   # AUTH_HMAC_SHA2_256_128
              + transform(True, 4, 31))   # CURVE_25519
proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transforms), 1, 1, 0, 4) + transforms
pub = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
body = (payload(KE, proposal)
        + payload(NONCE, struct.pack("!HH", 31, 0) + pub)
        + payload(0, os.urandom(32)))
spi_i = os.urandom(8)
hdr = spi_i + bytes(8) + struct.pack("!BBBBII", SA, 0x20, 34, 0x08, 0, 28 + len(body))

s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(hdr + body, (sys.argv[1], 500))
resp, _ = s.recvfrom(4096)
ispi, rspi, nxt, ver, exch, flags = struct.unpack("!8s8sBBBB", resp[:20])
print(f"primer SPIi {spi_i.hex()}: got IKE_SA_INIT response SPIr {rspi.hex()} "
      f"first payload {nxt} flags 0x{flags:02x}")
if ispi != spi_i or rspi == bytes(8) or nxt != SA:
    sys.exit("unexpected response: the primer's IKE_SA was not left half-open")
