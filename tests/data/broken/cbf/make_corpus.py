#!/usr/bin/env python3
"""Makes the CBF test corpus beside it (run: cd tests/data/broken/cbf && python3 make_corpus.py).

valid.cbf is a small miniCBF written here, independently of libcbf: 7 x 5 int32 pixels chosen to
exercise each byte-offset width (1, 2 and 4 byte deltas), with a Pilatus header. Every other file
breaks one thing; io_cbf_test.cpp pins the message each gives.
"""
import base64
import hashlib
import struct

NX, NY = 7, 5
PIXELS = [(-2 if (i % 11) == 3 else (i * 37) % 200) for i in range(NX * NY)]
PIXELS[8] = 1000        # 2-byte delta
PIXELS[20] = 1_000_000  # 4-byte delta
PIXELS[21] = -1_000_000

HEADER = """# Detector: PILATUS 100K, S/N 1-0000
# 2024-01-02T03:04:05.678
# Pixel_size 172e-6 m x 172e-6 m
# Silicon sensor, thickness 0.000450 m
# Exposure_time 0.1000000 s
# Tau = 0 s
# Count_cutoff 1048575 counts
# Wavelength 1.00000 A
# Detector_distance 0.20000 m
# Beam_xy (3.50, 2.25) pixels
"""


def byte_offset(values):
    out = bytearray()
    previous = 0
    for v in values:
        delta = v - previous
        if -127 <= delta <= 127:
            out += struct.pack("<b", delta)
        elif -32767 <= delta <= 32767:
            out += b"\x80" + struct.pack("<h", delta)
        else:
            out += b"\x80" + struct.pack("<h", -32768) + struct.pack("<i", delta)
        previous = v
    return bytes(out)


def mini_cbf(pixels=PIXELS, nx=NX, ny=NY, header=HEADER, declared_size=None, declared_elements=None, data=None,
             element_type="signed 32-bit integer", with_md5=True):
    data = byte_offset(pixels) if data is None else data
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    size = len(data) if declared_size is None else declared_size
    elements = nx * ny if declared_elements is None else declared_elements
    crlf = lambda s: s.replace("\n", "\r\n").encode()
    text = crlf(
        "###CBF: VERSION 1.5, CBFlib v0.7.8 - PILATUS detectors\n"
        "data_small\n\n"
        '_array_data.header_convention "PILATUS_1.2"\n'
        "_array_data.header_contents\n;\n" + header + ";\n\n"
        "_array_data.data\n;\n"
        "--CIF-BINARY-FORMAT-SECTION--\n"
        "Content-Type: application/octet-stream;\n"
        '     conversions="x-CBF_BYTE_OFFSET"\n'
        "Content-Transfer-Encoding: BINARY\n"
        f"X-Binary-Size: {size}\n"
        "X-Binary-ID: 1\n"
        f'X-Binary-Element-Type: "{element_type}"\n'
        "X-Binary-Element-Byte-Order: LITTLE_ENDIAN\n"
        + (f"Content-MD5: {md5}\n" if with_md5 else "") +
        f"X-Binary-Number-of-Elements: {elements}\n"
        f"X-Binary-Size-Fastest-Dimension: {nx}\n"
        f"X-Binary-Size-Second-Dimension: {ny}\n"
        "X-Binary-Size-Padding: 4095\n\n")
    tail = crlf("\n--CIF-BINARY-FORMAT-SECTION----\n;\n\n")
    return text + b"\x0c\x1a\x04\xd5" + data + bytes(4095) + tail


def write(name, content):
    with open(name, "wb") as f:
        f.write(content)


valid = mini_cbf()
write("valid.cbf", valid)
write("empty.cbf", b"")
write("not_cbf.cbf", b"P5\n7 5\n255\n" + bytes(35))
binary_at = valid.index(b"\x0c\x1a\x04\xd5")
write("header_only.cbf", valid[: valid.index(b"--CIF-BINARY")])
write("no_binary_marker.cbf", valid[:binary_at])
write("truncated_binary.cbf", valid[: binary_at + 4 + 20])
write("absurd_dimensions.cbf", mini_cbf(nx=1_000_000, ny=1_000_000, declared_elements=10**12))
write("dimensions_mismatch.cbf", mini_cbf(nx=8, ny=5, declared_elements=35))
write("size_beyond_file.cbf", mini_cbf(declared_size=10**9))
corrupt = bytearray(valid)
corrupt[binary_at + 4 + 10] ^= 0x55  # pixels changed, Content-MD5 no longer matches
write("corrupt_binary.cbf", bytes(corrupt))
write("short_data.cbf", mini_cbf(data=byte_offset(PIXELS[:20])))  # fewer pixels than declared
write("bad_wavelength.cbf", mini_cbf(header=HEADER.replace("1.00000 A", "one A")))
# Without Content-MD5 nothing catches a changed byte before the decoder: the first 2-byte escape
# (0x80) turned into a delta makes more pixels than declared, which libcbf 0.9.7 wrote past its
# output buffer (io/cbf.cpp decodes into a buffer sized by the file for this reason).
data = bytearray(byte_offset(PIXELS))
data[data.index(0x80)] = 0x84
write("corrupt_escape_no_md5.cbf", mini_cbf(data=bytes(data), with_md5=False))
write("unsupported_type.cbf", mini_cbf(element_type="signed 64-bit integer"))
