#!/usr/bin/env python3
"""Extract CHILD_SA / IKE_SA keys from strongSwan (5.9.x) charon logs written
with chd=4/ike=4 and emit Wireshark esp_sa, Spiglass sa.spiglass and Wireshark
ikev2_decryption_table files.

usage: extract_keys.py OUTDIR LOG_A LOG_B ADDR_A ADDR_B IKE_SPI_I IKE_SPI_R

LOG_A is the log of the IKE initiator (host A, address ADDR_A); LOG_B that of
the responder.  A CHILD_SA's "initiator" keys protect traffic A->B (SPI chosen
by B, shown as the *_o SPI in A's log), the "responder" keys protect B->A.
"""
import re
import sys

HDR = re.compile(r"\[(?:CHD|IKE)\] (?P<name>encryption initiator key|encryption responder key|"
                 r"integrity initiator key|integrity responder key|"
                 r"Sk_ei secret|Sk_er secret|Sk_ai secret|Sk_ar secret|Sk_d secret)"
                 r" => (?P<len>\d+) bytes")
HEX = re.compile(r"\[(?:CHD|IKE)\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})")
EST = re.compile(r"CHILD_SA \S+ established with SPIs (?P<i>[0-9a-f]{8})_i (?P<o>[0-9a-f]{8})_o")
PROP_CHILD = re.compile(r"selected proposal: ESP:(\S+)")
PROP_IKE = re.compile(r"selected proposal: IKE:(\S+)")


def parse(path):
    keys = {}   # name -> list of hex strings (in order of appearance)
    spis = []
    child_props, ike_props = [], []
    lines = open(path, errors="replace").read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = HDR.search(line)
        if m:
            n = int(m.group("len"))
            data = ""
            j = i + 1
            while len(data) < 2 * n and j < len(lines):
                h = HEX.search(lines[j])
                if not h:
                    break
                data += h.group(1).replace(" ", "")
                j += 1
            if len(data) != 2 * n:
                sys.exit(f"{path}: truncated hexdump for {m.group('name')}")
            keys.setdefault(m.group("name"), []).append(data.lower())
            i = j
            continue
        m = EST.search(line)
        if m:
            spis.append((m.group("i"), m.group("o")))
        m = PROP_CHILD.search(line)
        if m:
            child_props.append(m.group(1))
        m = PROP_IKE.search(line)
        if m:
            ike_props.append(m.group(1))
        i += 1
    return keys, spis, child_props, ike_props


# strongSwan proposal token -> (wireshark esp name, spiglass enc name, is_aead)
ENC = {
    "AES_CBC": ("AES-CBC [RFC3602]", "aes-cbc", False),
    "3DES_CBC": ("TripleDES-CBC [RFC2451]", "3des-cbc", False),
    "AES_CTR": ("AES-CTR [RFC3686]", "aes-ctr", False),
    "AES_GCM_16": ("AES-GCM with 16 octet ICV [RFC4106]", "aes-gcm-16", True),
    "AES_GCM_12": ("AES-GCM with 12 octet ICV [RFC4106]", "aes-gcm-12", True),
    "AES_GCM_8": ("AES-GCM with 8 octet ICV [RFC4106]", "aes-gcm-8", True),
    "CHACHA20_POLY1305": ("ChaCha20 with Poly1305 [RFC7634]", "chacha20-poly1305", True),
    "NULL": ("NULL", "null", False),
}
INTEG = {
    "HMAC_MD5_96": ("HMAC-MD5-96 [RFC2403]", "hmac-md5-96"),
    "HMAC_SHA1_96": ("HMAC-SHA-1-96 [RFC2404]", "hmac-sha1-96"),
    "HMAC_SHA2_256_128": ("HMAC-SHA-256-128 [RFC4868]", "hmac-sha2-256-128"),
    "HMAC_SHA2_384_192": ("HMAC-SHA-384-192 [RFC4868]", "hmac-sha2-384-192"),
    "HMAC_SHA2_512_256": ("HMAC-SHA-512-256 [RFC4868]", "hmac-sha2-512-256"),
}
IKE_ENC = {
    "AES_CBC": "AES-CBC-{bits} [RFC3602]",
    "AES_CTR": "AES-CTR-{bits} [RFC5930]",
    "3DES_CBC": "3DES [RFC2451]",
    "AES_GCM_16": "AES-GCM-{bits} with 16 octet ICV [RFC5282]",
    "AES_GCM_12": "AES-GCM-{bits} with 12 octet ICV [RFC5282]",
    "AES_GCM_8": "AES-GCM-{bits} with 8 octet ICV [RFC5282]",
}
IKE_INTEG = {
    "HMAC_MD5_96": "HMAC_MD5_96 [RFC2403]",
    "HMAC_SHA1_96": "HMAC_SHA1_96 [RFC2404]",
    "HMAC_SHA2_256_128": "HMAC_SHA2_256_128 [RFC4868]",
    "HMAC_SHA2_384_192": "HMAC_SHA2_384_192 [RFC4868]",
    "HMAC_SHA2_512_256": "HMAC_SHA2_512_256 [RFC4868]",
}


def split_enc(tok):
    """'AES_CBC_256' -> ('AES_CBC', 256); 'CHACHA20_POLY1305_256' -> (..., 256)"""
    m = re.match(r"(.*?)(?:_(\d+))?$", tok)
    base, bits = m.group(1), m.group(2)
    # AES_GCM_16_128: base 'AES_GCM_16'
    return base, int(bits) if bits else None


def main():
    outdir, log_a, log_b, addr_a, addr_b, ike_i, ike_r = sys.argv[1:8]
    ka, spis_a, cprop_a, iprop_a = parse(log_a)
    kb, spis_b, cprop_b, iprop_b = parse(log_b)
    if len(spis_a) != 1 or len(spis_b) != 1:
        sys.exit(f"expected exactly one CHILD_SA per side, got {spis_a} / {spis_b}")
    names = ["encryption initiator key", "encryption responder key",
             "integrity initiator key", "integrity responder key"]
    for n in names:
        if ka.get(n) != kb.get(n):
            sys.exit(f"key '{n}' differs between A and B logs")
        if len(ka.get(n, [])) > 1 or (n.startswith("encryption") and not ka.get(n)):
            sys.exit(f"key '{n}' missing or logged more than once")
    in_a, out_a = spis_a[0]
    in_b, out_b = spis_b[0]
    if (in_a, out_a) != (out_b, in_b):
        sys.exit("SPIs of A and B do not match")
    toks = cprop_a[0].split("/")
    enc_base, _ = split_enc(toks[0])
    ws_enc, sg_enc, aead = ENC[enc_base]
    integ = next((t for t in toks[1:] if t in INTEG), None)
    if aead:
        ws_auth, sg_auth = "NULL", "null"
    else:
        ws_auth, sg_auth = INTEG[integ]
    fam = "IPv6" if ":" in addr_a else "IPv4"
    if not aead and not (ka.get(names[2]) and ka.get(names[3])):
        sys.exit("integrity keys missing from log")
    ik = lambda n: ka.get(n, [""])[0]
    sas = [  # (src, dst, spi, enc key, auth key, comment)
        (addr_a, addr_b, out_a, ka[names[0]][0], ik(names[2]), "A -> B (initiator -> responder)"),
        (addr_b, addr_a, in_a, ka[names[1]][0], ik(names[3]), "B -> A (responder -> initiator)"),
    ]
    with open(f"{outdir}/esp_sa", "w") as f:
        for src, dst, spi, ek, ak, _ in sas:
            akf = "" if aead else f"0x{ak}"
            f.write(f'"{fam}","{src}","{dst}","0x{spi}","{ws_enc}","0x{ek}","{ws_auth}","{akf}"\n')
    with open(f"{outdir}/sa.spiglass", "w") as f:
        f.write(f"# strongSwan CHILD_SA, ESP proposal {cprop_a[0]}; keys from charon chd=4 log\n")
        for src, dst, spi, ek, ak, c in sas:
            f.write(f"# {c}\n")
            line = f"esp spi=0x{spi} src={src} dst={dst} enc={sg_enc} enc-key=0x{ek}"
            line += " auth=null" if aead else f" auth={sg_auth} auth-key=0x{ak}"
            f.write(line + "\n")
    # IKE table
    itoks = iprop_a[0].split("/")
    ibase, ibits = split_enc(itoks[0])
    if ibase in IKE_ENC:
        ienc = IKE_ENC[ibase].format(bits=ibits)
        if ibase.startswith("AES_GCM"):
            iinteg = "NONE [RFC4306]"
        else:
            iinteg = IKE_INTEG[next(t for t in itoks[1:] if t in IKE_INTEG)]
        sk = {n: ka[n][0] for n in ("Sk_ei secret", "Sk_er secret")}
        ai = ka.get("Sk_ai secret", [""])[0]
        ar = ka.get("Sk_ar secret", [""])[0]
        with open(f"{outdir}/ikev2_decryption_table", "w") as f:
            # hex (bytes) UAT fields must be unquoted; names are quoted strings
            f.write(f'{ike_i},{ike_r},{sk["Sk_ei secret"]},{sk["Sk_er secret"]},'
                    f'"{ienc}",{ai},{ar},"{iinteg}"\n')
    else:
        print(f"note: IKE cipher {itoks[0]} not supported by Wireshark's IKEv2 table, skipped",
              file=sys.stderr)
    print(f"esp={cprop_a[0]} ike={iprop_a[0]} spi_AtoB=0x{out_a} spi_BtoA=0x{in_a}")


if __name__ == "__main__":
    main()
